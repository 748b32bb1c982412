"""A ZHTTP handler driven by a test over stdin/stdout (JSON lines).

Usage: scripted_handler.py [--stream BASE] [--req SPEC] [--from ADDR]
                           [--instance ID] [--settle SECONDS]

--stream BASE  connect PULL to BASE-out, a DEALER (identity ADDR) to
               BASE-out-stream and PUB to BASE-in (like a real handler).
--req SPEC     connect a ROUTER to SPEC (the manager's req-mode DEALER).

Byte strings travel as JSON strings whose code points are the byte values
(latin-1), so "hello" is b"hello" and "\u00ff" is b"\xff". tnetstring ints
are JSON integers, bools/null as such, lists and dicts (insertion order kept).

Output lines:
  {"event":"ready"}                          sockets connected, subscription settled
  {"sock":"pull"|"dealer"|"router", "identity":ADDR (dealer only),
   "frames":[...], "packet":{...} | null}    one message received
  {"ack":N}                                  command N done
  {"error":"..."}                            a command failed
Commands (one JSON object per line, optional "n" echoed in the ack):
  {"op":"send","packet":{...},"addr":"condure"}   PUB "<addr> T<packet>"
  {"op":"send_raw","frame":"..."}                  PUB one raw frame
  {"op":"reply","envelope":[...],"packet":{...}}   ROUTER envelope + "" + T<packet>
  {"op":"reply_raw","frames":[...]}                ROUTER raw frames
  {"op":"dealer","identity":"h2"}                  connect another DEALER
  {"op":"sleep","seconds":0.1}
The process exits when stdin is closed.
"""

import argparse
import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'examples'))
import tnetstring  # noqa: E402


def to_json(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k.decode('latin-1'): to_json(v) for k, v in value.items()}
    return value


def from_json(value):
    if isinstance(value, str):
        return value.encode('latin-1')
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        return {k.encode('latin-1'): from_json(v) for k, v in value.items()}
    return value


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def decode_payload(frame):
    if frame[:1] != b'T':
        return None
    try:
        return to_json(tnetstring.loads(frame[1:]))
    except ValueError:
        return None


class Handler:
    def __init__(self, args):
        self.args = args
        self.ctx = zmq.Context()
        self.ctx.setsockopt(zmq.LINGER, 0)
        self.poller = zmq.Poller()
        self.pull = None
        self.pub = None
        self.router = None
        self.dealers = {}  # socket -> identity
        if args.stream:
            self.pull = self.ctx.socket(zmq.PULL)
            self.pull.connect(args.stream + '-out')
            self.poller.register(self.pull, zmq.POLLIN)
            self.add_dealer(args.addr)
            self.pub = self.ctx.socket(zmq.PUB)
            self.pub.connect(args.stream + '-in')
        if args.req:
            self.router = self.ctx.socket(zmq.ROUTER)
            self.router.connect(args.req)
            self.poller.register(self.router, zmq.POLLIN)

    def add_dealer(self, identity):
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, identity.encode('latin-1'))
        sock.connect(self.args.stream + '-out-stream')
        self.poller.register(sock, zmq.POLLIN)
        self.dealers[sock] = identity

    def run_command(self, cmd):
        op = cmd.get('op')
        if op == 'send':
            addr = cmd.get('addr', self.args.instance).encode('latin-1')
            self.pub.send(addr + b' T' + tnetstring.dumps(from_json(cmd['packet'])))
        elif op == 'send_raw':
            self.pub.send(cmd['frame'].encode('latin-1'))
        elif op == 'reply':
            frames = [f.encode('latin-1') for f in cmd['envelope']]
            frames += [b'', b'T' + tnetstring.dumps(from_json(cmd['packet']))]
            self.router.send_multipart(frames)
        elif op == 'reply_raw':
            self.router.send_multipart([f.encode('latin-1') for f in cmd['frames']])
        elif op == 'dealer':
            self.add_dealer(cmd['identity'])
            time.sleep(cmd.get('settle', 0.05))
        elif op == 'sleep':
            time.sleep(cmd['seconds'])
        else:
            raise ValueError('unknown op {!r}'.format(op))

    def receive(self, sock):
        frames = sock.recv_multipart()
        if sock is self.pull:
            msg = {'sock': 'pull'}
        elif sock is self.router:
            msg = {'sock': 'router'}
        else:
            msg = {'sock': 'dealer', 'identity': self.dealers[sock]}
        msg['frames'] = [f.decode('latin-1') for f in frames]
        msg['packet'] = decode_payload(frames[-1])
        emit(msg)

    def serve(self):
        stdin_fd = sys.stdin.fileno()
        self.poller.register(stdin_fd, zmq.POLLIN)
        time.sleep(self.args.settle)  # subscription propagation, DEALER handshake
        emit({'event': 'ready'})
        pending = b''
        while True:
            for sock, _ in self.poller.poll():
                if sock != stdin_fd:
                    self.receive(sock)
                    continue
                chunk = os.read(stdin_fd, 65536)
                if not chunk:
                    return
                pending += chunk
                while b'\n' in pending:
                    line, pending = pending.split(b'\n', 1)
                    if not line.strip():
                        continue
                    cmd = json.loads(line)
                    try:
                        self.run_command(cmd)
                        emit({'ack': cmd.get('n')})
                    except Exception as e:  # report, keep serving
                        emit({'error': repr(e), 'ack': cmd.get('n')})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--stream')
    ap.add_argument('--req')
    ap.add_argument('--from', dest='addr', default='h1')
    ap.add_argument('--instance', default='condure')
    ap.add_argument('--settle', type=float, default=0.1)
    handler = Handler(ap.parse_args())
    try:
        handler.serve()
    finally:
        handler.ctx.destroy(linger=0)


if __name__ == '__main__':
    main()
