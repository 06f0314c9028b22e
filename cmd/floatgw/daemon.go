package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/daemon"
	"github.com/floatgw/floatgw/internal/flags"
	"github.com/floatgw/floatgw/internal/keepalived"
	"github.com/floatgw/floatgw/internal/logx"
	"github.com/floatgw/floatgw/uci"
)

func init() {
	register(command{name: "daemon", summary: "run the floatgw service (for procd / systemd)", run: runDaemon})
	register(command{name: "validate", summary: "check /etc/config/floatgw; print every problem (used by the init script)", run: runValidate})
	register(command{name: "hotplug", summary: "forward a hotplug event to the daemon (keepalived | iface), from the environment", run: runHotplug})
}

// daemonOptions adds the path flags shared by daemon and validate.
func daemonOptions(fs *flags.Set) func() daemon.Options {
	root := fs.String("root", os.Getenv("FLOATGW_ROOT"), "prefix for every path (lab and tests); env FLOATGW_ROOT")
	platform := fs.String("platform", "", "openwrt or linux (default: detected)")
	kaConf := fs.String("keepalived-conf", "", "the keepalived configuration floatgw renders")
	kaMain := fs.String("keepalived-main", "", "keepalived's main file that includes it (plain Linux)")
	kaPid := fs.String("keepalived-pidfile", "", "reload keepalived by SIGHUP to this pid file instead of its service")
	kaJSON := fs.String("keepalived-json", "", "keepalived's JSON dump file (its TMPDIR/keepalived.json)")
	kaLog := fs.String("keepalived-log", "", "read keepalived's log from this file (keepalived -l output)")
	kaStart := fs.String("keepalived-start", "", "command that starts keepalived, as words (default: its service)")
	ubusSock := fs.String("ubus-socket", "", "ubusd socket (default: search the usual paths)")
	return func() daemon.Options {
		o := daemon.DefaultOptions(*root)
		if *platform != "" {
			o.Platform = *platform
			if *platform == daemon.PlatformOpenWrt {
				o.KeepalivedConf, o.KeepalivedMain = o.StateDir+"/keepalived.conf", ""
			}
		}
		if *kaConf != "" {
			o.KeepalivedConf = *kaConf
		}
		if *kaMain != "" {
			o.KeepalivedMain = *kaMain
		}
		o.KeepalivedPidfile, o.KeepalivedLog, o.UbusSocket, o.KeepalivedJSON = *kaPid, *kaLog, *ubusSock, *kaJSON
		if *kaStart != "" {
			o.KeepalivedStart = strings.Fields(*kaStart)
		}
		return o
	}
}

func runDaemon(name string, args []string, stdout, stderr io.Writer) int {
	fs := flags.New(name)
	toStderr := fs.BoolP("stderr", "S", false, "log to stderr instead of syslog (foreground, tests)")
	debugLog := fs.Bool("debug", false, "log debug messages")
	opts := daemonOptions(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	log := logx.New(*toStderr, stderr, *debugLog)
	d := daemon.New(opts(), log, version)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			if s == syscall.SIGHUP {
				d.Reload()
				continue
			}
			cancel()
			return
		}
	}()
	if err := d.Run(ctx); err != nil {
		log.Errorf("%v", err)
		return exitError
	}
	return exitOK
}

func runValidate(name string, args []string, stdout, stderr io.Writer) int {
	fs := flags.New(name)
	opts := daemonOptions(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	o := opts()
	pkg, err := (&uci.DirStore{Dir: o.ConfigDir}).Load("floatgw")
	if err != nil {
		fmt.Fprintf(stderr, "floatgw validate: %v\n", err)
		return exitFailed
	}
	// The LAN's addresses are only known to the running system; validate what the file
	// says and what the kernel has for an explicit lan_device.
	env := daemon.EnvFor(context.Background(), o, pkg)
	if _, err := config.Parse(pkg, env); err != nil {
		for _, fe := range config.Problems(err) {
			fmt.Fprintln(stderr, fe.Error())
		}
		if len(config.Problems(err)) == 0 {
			fmt.Fprintln(stderr, err)
		}
		return exitFailed
	}
	fmt.Fprintln(stdout, "valid")
	return exitOK
}

// runHotplug validates the hotplug environment and hands the event to the daemon with a short
// deadline; it never blocks the hotplug chain for long.
func runHotplug(name string, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "keepalived" && args[0] != "iface") {
		fmt.Fprintln(stderr, "usage: floatgw hotplug keepalived|iface (event in ACTION/TYPE/NAME or ACTION/INTERFACE/DEVICE)")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var err error
	switch args[0] {
	case "keepalived":
		ev, perr := keepalived.ParseHotplugEnv(os.Environ())
		if perr != nil {
			fmt.Fprintf(stderr, "floatgw hotplug: %v\n", perr)
			return exitUsage
		}
		_, err = control.Call(ctx, socketPath(), daemon.MethodHotplug, map[string]any{"action": ev.Action, "name": ev.Name})
	case "iface":
		action, iface := os.Getenv("ACTION"), os.Getenv("INTERFACE")
		if !validWord(action) || !validWord(iface) {
			fmt.Fprintln(stderr, "floatgw hotplug: ACTION and INTERFACE must be short words")
			return exitUsage
		}
		_, err = control.Call(ctx, socketPath(), daemon.MethodReload, nil)
	}
	if err != nil {
		return reportCallError(name, err, stderr)
	}
	return exitOK
}

func validWord(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
