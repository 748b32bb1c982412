"""A WebSocket client built on the `websockets` library (asyncio API, so it
also runs on Debian's websockets 10.x, which has no `websockets.sync`).

Usage: ws_client.py URI [--compress] [--text-size N]

Against an echo handler: sends a text message, a binary message, a text
message of N bytes (default 10240, repetitive), a fragmented text message
(three fragments), a ping, then closes with 1000 "bye". Prints one JSON
object:
  {"extensions": <Sec-WebSocket-Extensions response header or null>,
   "text": ..., "binary": [bytes...], "big_ok": bool, "fragmented": ...,
   "pong": bool, "close_code": int, "close_reason": str}
or, on failure, the fields so far plus "error" and exit status 1.
"""

import argparse
import asyncio
import json
import sys

import websockets


async def run(args, out):
    async with websockets.connect(
        args.uri,
        compression='deflate' if args.compress else None,
        open_timeout=5,
        close_timeout=3,
        ping_interval=None,
    ) as ws:
        out['extensions'] = ws.response_headers.get('Sec-WebSocket-Extensions')

        async def recv():
            return await asyncio.wait_for(ws.recv(), 3)

        await ws.send('hello text')
        out['text'] = await recv()
        await ws.send(bytes([0, 1, 2, 255]))
        out['binary'] = list(await recv())
        big = ('0123456789abcdef' * (args.text_size // 16 + 1))[:args.text_size]
        await ws.send(big)
        out['big_ok'] = (await recv()) == big
        # an iterable is sent as one fragmented message (one frame per item)
        await ws.send(['frag-1 ', 'frag-2 ', 'frag-3'])
        out['fragmented'] = await recv()
        pong = await ws.ping(b'ping-data')
        try:
            await asyncio.wait_for(pong, 3)
            out['pong'] = True
        except asyncio.TimeoutError:
            out['pong'] = False
        await ws.close(1000, 'bye')
        out['close_code'] = ws.close_code
        out['close_reason'] = ws.close_reason


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('uri')
    parser.add_argument('--compress', action='store_true')
    parser.add_argument('--text-size', type=int, default=10240)
    args = parser.parse_args()
    out = {}
    try:
        asyncio.run(run(args, out))
    except Exception as e:  # report (with what was done so far), no traceback
        out['error'] = '{}: {}'.format(type(e).__name__, e)
        print(json.dumps(out))
        sys.exit(1)
    print(json.dumps(out))


main()
