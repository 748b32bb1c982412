# req-mode handler: answers every request with "hello world"
#
#   condure --listen 8000,req --zclient-req ipc://client
#   python3 examples/reqhandler.py
#   curl -i http://localhost:8000
#
# In req mode Condure uses one DEALER socket; a REP socket takes care of the
# routing envelope, so each request is one recv() and one send().

import tnetstring
import zmq

ctx = zmq.Context()
sock = ctx.socket(zmq.REP)
sock.connect('ipc://client')

while True:
    m_raw = sock.recv()
    req = tnetstring.loads(m_raw[1:])
    print('IN {} {} {}'.format(req[b'id'].decode(), req[b'method'].decode(), req[b'uri'].decode()))

    resp = {}
    resp[b'id'] = req[b'id']
    resp[b'code'] = 200
    resp[b'reason'] = b'OK'
    resp[b'headers'] = [[b'Content-Type', b'text/plain']]
    resp[b'body'] = b'hello world\n'

    sock.send(b'T' + tnetstring.dumps(resp))
