"""Answers that are written while they are sent: the whole-timetable downloads and the department exports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from asgiref.sync import sync_to_async
from django.http import FileResponse, StreamingHttpResponse

_END = object()


class _ChunkByChunk:
    """Streams a synchronous iterator (one that reads the database, or a file) under ASGI as well: Django would
    read such an iterator to its end before sending a byte. Each chunk is made in the request's own thread,
    where its database connection lives."""

    streaming_content: Iterable[bytes]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parts = iter(self.streaming_content)
        take = sync_to_async(next, thread_sensitive=True)
        while True:
            part = await take(parts, _END)
            if part is _END:
                return
            yield part


class StreamingResponse(_ChunkByChunk, StreamingHttpResponse):
    """A StreamingHttpResponse that streams under ASGI too."""


class StreamingFileResponse(_ChunkByChunk, FileResponse):
    """A FileResponse that streams under ASGI too."""


class Echo:
    """A file for ``csv.writer`` that hands each written row back instead of keeping it."""

    def write(self, value: str) -> str:
        return value
