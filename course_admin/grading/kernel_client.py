"""The kernel client nbgrader's ``Execute`` talks to grading kernels with."""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous kernel client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until 0.2 s pass without
    a message: 0.2 s lost per notebook, as a started kernel has nothing more to say.
    This one waits :attr:`quiet_period` instead. A late start-up message is harmless:
    nbclient keeps only the messages that answer the cell it runs.
    """

    quiet_period = 0.02

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # a message on IOPub shows that it is connected too
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=self.quiet_period)
            except Empty:
                return
