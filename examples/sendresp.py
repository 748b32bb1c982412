# this program sends a response to a certain request ID
#
# Condure's README example:
#   python3 examples/sendresp.py "responding from another process" condure 0-0-0
# arguments: body, manager address (its --id), request id (see printreq.py).

import sys
import time
import tnetstring
import zmq

body = sys.argv[1]
addr = sys.argv[2].encode()
rid = sys.argv[3].encode()

ctx = zmq.Context()
sock = ctx.socket(zmq.PUB)
sock.connect('ipc://client-in')

# await subscription (the README waits 10 ms; a bit more is safer on a busy machine)
time.sleep(0.1)

resp = {}
resp[b'from'] = b'sendresp'
resp[b'id'] = rid
resp[b'code'] = 200
resp[b'reason'] = b'OK'
resp[b'headers'] = [[b'Content-Type', b'text/plain']]
resp[b'body'] = '{}\n'.format(body).encode()

m = [addr + b' T' + tnetstring.dumps(resp)]

sock.send_multipart(m)
