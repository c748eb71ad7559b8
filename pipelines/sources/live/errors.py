"""The one exception type of the live client."""

from __future__ import annotations


class LiveSourceError(RuntimeError):
    """Anything that stops a live retrieval. `url` is the URL (or, for an archive check, the file) concerned;
    the message is for people (French, one line): `<url> : <reason>`."""

    def __init__(self, url: str, message: str):
        self.url = url
        self.reason = message
        super().__init__(f"{url} : {message}")


class ChecksumMismatch(LiveSourceError):
    """The bytes do not match the checksum the producer declares (or the manifest records)."""
