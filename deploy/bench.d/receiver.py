"""A small, fast webhook receiver for the bench: answers every POST with 200 (keep-alive) and counts them; GET /count
answers the count. It stands in for a receiver on another machine, so it is written to cost the shared cores little: an
asyncio protocol that parses only the head's length and answers every request a read completes in one write.
Usage: receiver.py PORT"""
import asyncio
import sys

count = 0
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Receiver(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        global count
        buffer = self.buffer + data if self.buffer else data
        answers = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            at = head.lower().find(b"content-length:")
            if at >= 0:
                length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) >= 0 else len(head)])
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length:]
            if head.startswith(b"GET /count"):
                body = str(count).encode()
                answers.append(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            else:
                count += 1
                answers.append(OK)
        self.buffer = buffer
        if answers:
            self.transport.write(b"".join(answers))


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Receiver, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
