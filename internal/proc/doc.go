// Package proc runs a program from a fixed argument list and captures its
// bounded output. It is floatgw's replacement for os/exec, which the
// daemon used only for a handful of such calls (init scripts, systemctl,
// keepalived -t and --signum, ip addr del, nft list ruleset, logread and
// journalctl). It is built on os.StartProcess, which os links anyway;
// os/exec also brought its Cmd machinery, LookPath, environment
// de-duplication and, through io.Copy on files, os's splice, sendfile and
// copy_file_range paths. Measured on the stripped linux/mipsle openwrt
// build: the file is 128 KiB smaller (sections 94 KB smaller with Go
// 1.23.12, 116 KB with Go 1.26), and no os/exec symbol is linked.
//
// What it does:
//
//   - [Run] starts Argv (no shell; a bare program name is looked up in
//     $PATH like [LookPath]) with stdin from /dev/null and the inherited
//     environment, captures stdout and stderr separately or combined, each
//     up to a byte limit (the rest is read and dropped, so the child never
//     blocks on a full pipe), and words exit errors as os/exec does
//     ("exit status 3", "signal: killed"); a program not in $PATH is
//     `"nft": executable file not found in $PATH` (os/exec's text without
//     its "exec: " prefix).
//   - When the context ends the process is killed with SIGKILL, with
//     [Cmd.ProcessGroup] its whole process group. Once the process has
//     exited or been killed, Run reads its output for at most
//     [Cmd.WaitDelay] more, then stops, so a grandchild that keeps the
//     pipe open cannot hang the caller.
//   - [LookPath] answers "is this program installed": the first regular
//     file with an execute bit in the absolute directories of $PATH.
//
// Every goroutine and file descriptor Run creates is released before it
// returns, on every path.
//
// What it does not do: shell strings, stdin data, a working directory or
// environment of its own, streaming output, or anything that must outlive
// the call. Relative $PATH entries (including the empty one, meaning the
// working directory) are ignored rather than searched: a daemon must not
// run a program from wherever it happens to be.
package proc
