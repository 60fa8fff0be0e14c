"""The kernel's launcher: OS limits and isolation first, then the kernel itself.

    python -I graders/sandbox.py --run-folder DIR [limits] [--grader-pid PID] [--isolate] \\
        -- KERNEL ARGV...
    python -I graders/sandbox.py --probe

Run as a script (standard library only, never the package), so nothing of the grader is loaded
into the process that becomes the student's kernel.

Limits are the kernel's own rlimits, enforced by the operating system: address space
(RLIMIT_AS: numpy raises MemoryError instead of the machine swapping), size of any file it writes
(RLIMIT_FSIZE: the write fails with "File too large"; SIGXFSZ is ignored so it is an exception,
not a dead kernel), CPU seconds (RLIMIT_CPU: SIGXCPU ends the kernel), number of processes
(RLIMIT_NPROC, threads included: fork fails with EAGAIN), no core dumps. Children inherit them.

With --isolate the kernel also gets, from Linux namespaces (root, or an unprivileged user
namespace where the system allows one):
- its own mount namespace whose root holds only the system's programs and libraries (read-only),
  this Python (read-only), an empty /tmp and the run folder: the reference solutions, the
  assignments, the gradebook and every other file of the machine are simply not there;
- its own network namespace with no interface up: no network, not even loopback (the kernel's
  channels are IPC sockets in the run folder);
- its own PID namespace: it sees only its own processes, cannot signal the grader, and when it
  ends every process it started ends with it;
- when started as root, its own unprivileged user id, so the process limit applies to it and the
  run folder is the only place it may write.

Isolation is set up in a child: this process stays outside as the kernel's parent, passes on the
signals the grader sends, and ends the way the kernel ended (same exit status or signal), so the
grader sees the kernel's own fate.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# Kernels started as root run as this user id plus the launcher's pid: a user of their own, so
# the process limit counts only their processes. No account needs to exist.
KERNEL_UID_BASE = 3_000_000_000
# Read-only in the kernel's root, when they exist (besides this Python's own folders).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(Exception):
    """Isolation could not be set up; the message says which step failed."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
           f"mount {target}")


def _b(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def set_limits(*, memory_mb: int, file_mb: int, cpu_seconds: int, processes: int) -> None:
    """Rlimits of this process and everything it starts. A hard limit lower than ours wins."""
    def limit(which: int, value: int, hard_extra: int = 0) -> None:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value + hard_extra if hard == resource.RLIM_INFINITY
                                   else max(value, hard if hard_extra else value)))

    limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    limit(resource.RLIMIT_FSIZE, file_mb * 1024 * 1024)
    limit(resource.RLIMIT_CPU, cpu_seconds, hard_extra=5)  # SIGXCPU first, SIGKILL 5 s later
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NPROC, processes)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def enter_namespaces() -> bool:
    """New mount, network, PID, IPC and UTS namespaces for this process's children. As root
    directly; otherwise inside a new user namespace mapping only our own ids. Returns whether
    the kernel should switch to a user id of its own (only root can)."""
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if os.geteuid() == 0:
        _check(_libc.unshare(flags), "unshare")
        return True
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare (user namespace)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    return False


def build_root(new_root: str, run_folder: str, *, tmp_mb: int) -> None:
    """Make `new_root` hold only what a kernel needs; run in the child, inside the namespaces."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    # /tmp first: this Python (a virtual environment in a fresh clone, say) and the run folder
    # may both be inside it, and a later mount on /tmp would hide them.
    os.makedirs(new_root + "/tmp", exist_ok=True)
    _mount("tmpfs", new_root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"mode=1777,size={tmp_mb}m")
    python_folders = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
                      os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    for folder in (*SYSTEM_FOLDERS, *sorted(python_folders)):
        _bind_read_only(folder, new_root)
    _bind(run_folder, new_root + run_folder, read_only=False)
    os.makedirs(new_root + "/dev", exist_ok=True)
    _bind("/dev", new_root + "/dev", read_only=False, recursive=True)
    if os.path.isdir(new_root + "/dev/shm"):
        _mount("tmpfs", new_root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
               f"mode=1777,size={tmp_mb}m")
    os.makedirs(new_root + "/proc", exist_ok=True)
    _mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _bind_read_only(folder: str, new_root: str) -> None:
    if not os.path.lexists(folder) or os.path.lexists(new_root + folder):
        return
    if os.path.islink(folder):  # /bin -> usr/bin on merged-/usr systems
        os.makedirs(os.path.dirname(new_root + folder), exist_ok=True)
        os.symlink(os.readlink(folder), new_root + folder)
        return
    if os.path.isdir(folder):
        _bind(folder, new_root + folder, read_only=True, recursive=True)


def _bind(source: str, target: str, *, read_only: bool, recursive: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if read_only:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)


def kernel_user_id(launcher: int) -> int:
    return KERNEL_UID_BASE + launcher % 1_000_000_000


def give_run_folder_to(uid: int, run_folder: str) -> None:
    """Root only: the kernel's user owns the run folder (and may write nowhere else)."""
    for folder, subfolders, files in os.walk(run_folder):
        if folder == run_folder and ".root" in subfolders:
            subfolders.remove(".root")
        os.chown(folder, uid, uid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _run_isolated_child(args: argparse.Namespace, command: list[str], switch_user: bool,
                        launcher: int, status_pipe: int) -> None:
    """In the child, the first process of the new namespaces: build the root, drop rights, start
    the kernel as its own child, and stay as the namespace's init. (The kernel must not be the
    init itself: Linux shields an init from signals it has no handler for, SIGXCPU included.)"""
    try:
        uid = kernel_user_id(launcher)
        if switch_user:
            give_run_folder_to(uid, args.run_folder)
        new_root = os.path.join(args.run_folder, ".root")
        os.makedirs(new_root, exist_ok=True)
        build_root(new_root, args.run_folder, tmp_mb=min(args.file_mb, 512))
        cwd = os.getcwd()
        os.chroot(new_root)
        os.chdir(cwd if os.path.isdir(cwd) else args.run_folder)
        if switch_user:
            become(uid)
        # After the change of user, which clears it: everything ends when the launcher does.
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the interrupt is the kernel's
        kernel = os.fork()
        if kernel == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.close(status_pipe)
            _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            # ipykernel ends itself when its parent is not the one this names; its parent is
            # now this init, which outlives it anyway.
            environment = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
            os.execve(command[0], command, environment)
    except BaseException as error:  # noqa: BLE001 - the child must never return
        print(f"sandbox: {error}", file=sys.stderr, flush=True)
        os._exit(121)
    # Become a plain init, so that nothing the kernel can read (/proc/1/cmdline) names the
    # grader: the same Python running only INIT, which keeps the kernel as its child.
    os.set_inheritable(status_pipe, True)
    environment = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
    os.execve(sys.executable, [sys.executable, "-I", "-c", INIT, str(kernel), str(status_pipe)],
              environment)


# The namespace's init: collects every orphan until the kernel ends, then reports how it ended
# (its wait status) through the pipe to the launcher. Anything that asks it to end ends the
# kernel; the interrupt is the kernel's alone.
INIT = """\
import os, signal, sys
kernel, pipe = int(sys.argv[1]), int(sys.argv[2])
def stop(*_):
    try:
        os.kill(kernel, signal.SIGKILL)
    except ProcessLookupError:
        pass
for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(number, stop)
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        os._exit(1)
    if pid == kernel:
        os.write(pipe, str(status).encode())
        os._exit(0)
"""


def run_isolated(args: argparse.Namespace, command: list[str]) -> None:
    """Fork the isolated kernel, pass on signals, and end as it ended."""
    grader = args.grader_pid or os.getppid()
    if os.getppid() != grader:  # the grader died before we got here
        sys.exit(1)
    switch_user = enter_namespaces()
    launcher = os.getpid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        _run_isolated_child(args, command, switch_user, launcher, write)
    os.close(write)
    # SIGINT reaches the kernel from the grader through the process group; the launcher
    # ignores it. Anything that asks the launcher to end ends the kernel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP", "SIGQUIT"):
        signal.signal(getattr(signal, name), lambda *_: _kill(child))
    status = _wait_unless_orphaned(child, grader)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode(errors="replace").strip()
    _end_like(int(said) if said.isdigit() else status)


def _wait_unless_orphaned(child: int, grader: int) -> int:
    """Wait for `child` and return its wait status; kill it first if the grader dies.

    The init and the kernel die with this launcher (PDEATHSIG), but this launcher has no such
    link to the grader: Linux fires PDEATHSIG when the creating *thread* ends, and the grader
    may start kernels from a thread that ends long before the kernel should. So watch the
    grader's process itself (a pidfd), else look at the parent id once a second."""
    import select

    try:
        watch_grader, watch_child = os.pidfd_open(grader), os.pidfd_open(child)
    except (AttributeError, OSError):
        while True:
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                return status
            if os.getppid() != grader:
                _kill(child)
            select.select([], [], [], 1.0)
    poller = select.poll()
    poller.register(watch_grader, select.POLLIN)
    poller.register(watch_child, select.POLLIN)
    while True:
        ready = {fd for fd, _ in poller.poll()}
        if watch_child in ready:
            return os.waitpid(child, 0)[1]
        if watch_grader in ready or os.getppid() != grader:
            _kill(child)
            poller.unregister(watch_grader)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _end_like(status: int) -> None:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if number not in (signal.SIGKILL, signal.SIGSTOP):  # those cannot be handled anyway
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def probe() -> str:
    """'' when isolation works here, else why not (tried in throwaway processes)."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            switch_user = enter_namespaces()
            inner = os.fork()
            if inner == 0:
                try:
                    if switch_user:
                        give_run_folder_to(kernel_user_id(os.getppid() or 1), folder)
                    os.makedirs(folder + "/.root")
                    build_root(folder + "/.root", folder, tmp_mb=1)
                    os.chroot(folder + "/.root")
                    if switch_user:
                        become(kernel_user_id(1))
                    os._exit(0)
                except BaseException as error:  # noqa: BLE001
                    os.write(write, str(error).encode()[:500])
                    os._exit(1)
            _, status = os.waitpid(inner, 0)
            os._exit(0 if status == 0 else 1)
        except BaseException as error:  # noqa: BLE001
            os.write(write, str(error).encode()[:500])
            os._exit(1)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as f:
        said = f.read().decode(errors="replace")
    shutil.rmtree(folder, ignore_errors=True)
    if status == 0:
        return ""
    return said or "the isolated test process failed"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="graders/sandbox.py")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--run-folder")
    parser.add_argument("--memory-mb", type=int, default=4096)
    parser.add_argument("--file-mb", type=int, default=512)
    parser.add_argument("--cpu-seconds", type=int, default=7200)
    parser.add_argument("--processes", type=int, default=128)
    parser.add_argument("--grader-pid", type=int, default=0,
                        help="the grader's pid: end if it is gone (default: our parent)")
    parser.add_argument("--isolate", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.probe:
        why = probe()
        print(why or "ok")
        sys.exit(1 if why else 0)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or not args.run_folder:
        parser.error("--run-folder and a kernel command after -- are needed")
    set_limits(memory_mb=args.memory_mb, file_mb=args.file_mb, cpu_seconds=args.cpu_seconds,
               processes=args.processes)
    if args.isolate:
        run_isolated(args, command)
    # Not isolated: processes the kernel leaves behind stay its children, so the grader finds
    # and ends them.
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
