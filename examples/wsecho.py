# WebSocket echo handler: accepts every WebSocket, echoes text and binary
# messages, answers pings and closes
#
#   condure --listen 8000 --zclient-stream ipc://client
#   python3 examples/wsecho.py
#   then connect a WebSocket client to ws://localhost:8000/
#
# Plain HTTP requests get a 400. Each echoed packet gives back, as credits,
# the bytes we received, so the client can keep sending.

import os
import time
import tnetstring
import zmq

instance_id = 'wsecho.{}'.format(os.getpid()).encode()

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

sessions = {}  # id -> {'addr', 'seq'}


def send(rid, s, fields):
    msg = {b'from': instance_id, b'id': rid, b'seq': s['seq']}
    msg.update(fields)
    s['seq'] += 1
    out_sock.send(s['addr'] + b' T' + tnetstring.dumps(msg))


poller = zmq.Poller()
poller.register(in_sock, zmq.POLLIN)
poller.register(in_stream_sock, zmq.POLLIN)

while True:
    socks = dict(poller.poll())
    if in_sock in socks:
        req = tnetstring.loads(in_sock.recv()[1:])
        rid = req[b'id']
        s = {'addr': req[b'from'], 'seq': 0}
        if req[b'uri'].startswith(b'ws'):
            print('ACCEPT {} {}'.format(rid.decode(), req[b'uri'].decode()))
            sessions[rid] = s
            send(rid, s, {b'code': 101, b'reason': b'Switching Protocols',
                          b'credits': 8192})
        else:
            send(rid, s, {b'code': 400, b'reason': b'Bad Request',
                          b'headers': [[b'Content-Type', b'text/plain']],
                          b'body': b'WebSocket only\n'})
    if in_stream_sock in socks:
        msg = tnetstring.loads(in_stream_sock.recv_multipart()[-1][1:])
        rid = msg.get(b'id')
        s = sessions.get(rid)
        if s is None:
            continue
        mtype = msg.get(b'type', b'')
        body = msg.get(b'body', b'')
        if mtype == b'':
            out = {b'content-type': msg.get(b'content-type', b'text'),
                   b'body': body, b'credits': len(body)}
            if msg.get(b'more'):
                out[b'more'] = True
            send(rid, s, out)
        elif mtype == b'ping':
            send(rid, s, {b'type': b'pong', b'body': body, b'credits': len(body)})
        elif mtype == b'close':
            out = {b'type': b'close'}
            if b'code' in msg:
                out[b'code'] = msg[b'code']
            send(rid, s, out)
            del sessions[rid]
        elif mtype == b'cancel':
            del sessions[rid]
