#!/usr/bin/python3
"""Runs a command under the seccomp filters a systemd unit file asks for, as systemd would apply them.

usage: unit-seccomp.py UNIT_FILE [--kill] -- COMMAND [ARG...]

Read from the unit's [Service] section, with systemd's semantics:
  SystemCallFilter=        in order: the first line picks allow-list (plus @default) or deny-list
                           mode; later lines add (allow) or remove (~) calls; an empty value resets.
                           @groups are expanded with `systemd-analyze syscall-filter` on this machine.
  SystemCallErrorNumber=   the action for a filtered call (default: kill the process, SIGSYS);
                           --kill ignores it, to prove that no call the run makes is filtered at all.
  RestrictRealtime=yes     sched_setscheduler() to a policy other than OTHER, BATCH, IDLE: EPERM.
  RestrictAddressFamilies= socket() of any other family: EAFNOSUPPORT.
Other seccomp-based settings of the unit (LockPersonality, RestrictNamespaces, ...) are not applied.
The filters stay in place across exec, so COMMAND and everything it starts run under them.
"""

import errno
import os
import socket
import subprocess
import sys

import seccomp


def service_settings(path):
    """[(key, value)] of the [Service] section, in order (continuation lines joined)."""
    settings, section, pending = [], None, ""
    with open(path, encoding="utf-8") as unit:
        for raw in unit:
            line = pending + raw.rstrip("\n")
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("["):
                section = stripped
                continue
            if section == "[Service]" and "=" in stripped:
                key, value = stripped.split("=", 1)
                settings.append((key.strip(), value.strip()))
    return settings


def syscall_groups():
    """{"@group": [member, ...]} as this machine's systemd defines them (members may be @groups)."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True, capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), [])
        elif line.startswith((" ", "\t")) and current is not None:
            name = line.strip()
            if name and not name.startswith("#"):
                current.append(name)
        else:
            current = None
    return groups


def expand(name, groups, seen=None):
    if not name.startswith("@"):
        return {name}
    if name not in groups:
        raise SystemExit(f"unit-seccomp: unknown system call group {name}")
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    calls = set()
    for member in groups[name]:
        calls |= expand(member, groups, seen)
    return calls


def system_call_filter(settings, groups):
    """(allow_list, calls): systemd's config_parse_syscall_filter, line after line."""
    allow_list, calls, started = None, set(), False
    for key, value in settings:
        if key != "SystemCallFilter":
            continue
        if value == "":
            allow_list, calls, started = None, set(), False
            continue
        invert = value.startswith("~")
        if invert:
            value = value[1:]
        if not started:
            started = True
            allow_list = not invert
            if allow_list:
                calls |= expand("@default", groups)
        for word in value.split():
            names = expand(word.split(":", 1)[0], groups)
            if invert == allow_list:
                calls -= names
            else:
                calls |= names
    return allow_list, calls


def setting(settings, key):
    values = [v for k, v in settings if k == key]
    return values[-1] if values else None


def known(name):
    try:
        return seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) >= 0
    except (ValueError, RuntimeError):
        return False


def main(argv):
    if len(argv) < 4 or "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    options, command = argv[1:split], argv[split + 1:]
    unit, kill = options[0], "--kill" in options[1:]
    settings = service_settings(unit)
    groups = syscall_groups()

    if setting(settings, "RestrictRealtime") in ("yes", "true", "on", "1"):
        # systemd's seccomp_restrict_realtime(): SCHED_OTHER (0), SCHED_BATCH (3), SCHED_IDLE (5) only.
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for policy in (1, 2, 4):
            f.add_rule(seccomp.ERRNO(errno.EPERM), "sched_setscheduler", seccomp.Arg(1, seccomp.EQ, policy))
        f.add_rule(seccomp.ERRNO(errno.EPERM), "sched_setscheduler", seccomp.Arg(1, seccomp.GT, 5))
        f.load()

    families = setting(settings, "RestrictAddressFamilies")
    if families:
        invert = families.startswith("~")
        listed = {int(getattr(socket, name)) for name in families.lstrip("~").split()}
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        refuse = seccomp.ERRNO(errno.EAFNOSUPPORT)
        for family in range(64):
            if (family in listed) == invert:
                f.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, family))
        if not invert:
            f.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.GE, 64))
        f.load()

    # SystemCallFilter last: it may refuse seccomp() itself.
    allow_list, calls = system_call_filter(settings, groups)
    if allow_list is not None:
        error_number = setting(settings, "SystemCallErrorNumber")
        blocked = seccomp.KILL_PROCESS if kill or not error_number else seccomp.ERRNO(getattr(errno, error_number))
        f = seccomp.SyscallFilter(defaction=blocked if allow_list else seccomp.ALLOW)
        for name in sorted(n for n in calls if known(n)):
            f.add_rule(seccomp.ALLOW if allow_list else blocked, name)
        f.load()

    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
