"""A small, fast webhook receiver for the bench: answers every POST with 200 (keep-alive) and counts them; GET /count
answers the count. Usage: receiver.py PORT

It shares the machine's two cores with the server and PostgreSQL, where a real receiver would not, so it does as little
as a receiver can: a protocol on the event loop (no stream reader and its awaits), requests split at their blank line
and Content-Length, nothing else parsed."""
import asyncio
import sys

count = 0


class Receiver(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        global count
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            length = int(head[at + 17:head.find(b"\r\n", at + 2) if head.find(b"\r\n", at + 2) > 0 else end]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            if head.startswith(b"get /count"):
                body = str(count).encode()
            else:
                count += 1
                body = b"ok"
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


async def main():
    server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
