"""Give this process a name of its own, so apiscope's service_name tells
test processes apart from everything else on the host."""
import ctypes

PR_SET_NAME = 15


def set_comm(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")
