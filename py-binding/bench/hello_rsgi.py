"""Hello world as a granian RSGI app."""


async def app(scope, proto):
    proto.response_str(200, [("content-type", "text/plain; charset=utf-8")], "Hello, world!")
