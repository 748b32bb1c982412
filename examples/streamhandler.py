# stream-mode handler: answers every request with a body streamed in several
# packets, sending only as much as the credits Condure granted allow
#
#   condure --listen 8000 --zclient-stream ipc://client
#   python3 examples/streamhandler.py
#   curl -i http://localhost:8000        (chunked "streamed hello world")
#
# The first packet of a session arrives on PULL (client-out). Later packets
# for sessions we own (credit, keep-alive, cancel, ...) arrive on a DEALER
# whose identity is our "from" address (client-out-stream). We send on PUB
# (client-in), prefixed with the manager's address.

import os
import time
import tnetstring
import zmq

instance_id = 'streamhandler.{}'.format(os.getpid()).encode()
CHUNKS = [b'streamed ', b'hello ', b'world\n']

ctx = zmq.Context()
in_sock = ctx.socket(zmq.PULL)
in_sock.connect('ipc://client-out')
in_stream_sock = ctx.socket(zmq.DEALER)
in_stream_sock.setsockopt(zmq.IDENTITY, instance_id)
in_stream_sock.connect('ipc://client-out-stream')
out_sock = ctx.socket(zmq.PUB)
out_sock.connect('ipc://client-in')

# await subscription (and the DEALER connection, before using our address)
time.sleep(0.01)

sessions = {}  # id -> {'addr', 'seq', 'credits', 'chunks'}


def send(rid, s, fields):
    msg = {b'from': instance_id, b'id': rid, b'seq': s['seq']}
    msg.update(fields)
    s['seq'] += 1
    out_sock.send(s['addr'] + b' T' + tnetstring.dumps(msg))


def pump(rid, s):
    # send at most one chunk per call, if we have the credits for it
    if s['chunks'] and len(s['chunks'][0]) <= s['credits']:
        chunk = s['chunks'].pop(0)
        s['credits'] -= len(chunk)
        send(rid, s, {b'body': chunk, b'more': True})
        if not s['chunks']:
            send(rid, s, {b'body': b''})  # no "more": end of the response
            del sessions[rid]


poller = zmq.Poller()
poller.register(in_sock, zmq.POLLIN)
poller.register(in_stream_sock, zmq.POLLIN)

while True:
    socks = dict(poller.poll(100))
    if in_sock in socks:
        req = tnetstring.loads(in_sock.recv()[1:])
        rid = req[b'id']
        print('IN {} {} {}'.format(rid.decode(), req[b'method'].decode(), req[b'uri'].decode()))
        s = {'addr': req[b'from'], 'seq': 0, 'credits': req.get(b'credits', 0),
             'chunks': list(CHUNKS)}
        sessions[rid] = s
        send(rid, s, {b'code': 200, b'reason': b'OK',
                      b'headers': [[b'Content-Type', b'text/plain']], b'more': True})
    if in_stream_sock in socks:
        msg = tnetstring.loads(in_stream_sock.recv_multipart()[-1][1:])
        s = sessions.get(msg.get(b'id'))
        mtype = msg.get(b'type', b'')
        if s is None:
            pass
        elif mtype == b'credit':
            s['credits'] += msg[b'credits']
        elif mtype == b'cancel':
            del sessions[msg[b'id']]
    for rid, s in list(sessions.items()):
        pump(rid, s)
