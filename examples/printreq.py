# this handler just outputs the request ID
#
# Condure's README example: prints "<manager address> <request id>" for every
# request, e.g. "condure 0-0-0". Answer it with sendresp.py, or pipe them:
#   python3 -u examples/printreq.py | xargs -n 2 python3 examples/sendresp.py "responding from another process"
# Run from the directory Condure runs in (ipc://client-out is relative).

import tnetstring
import zmq

ctx = zmq.Context()
sock = ctx.socket(zmq.PULL)
sock.connect('ipc://client-out')

while True:
    m = sock.recv_multipart()
    req = tnetstring.loads(m[0][1:])
    print('{} {}'.format(req[b'from'].decode(), req[b'id'].decode()))
