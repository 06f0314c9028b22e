package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"embed"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed control/floatgw.postinst control/floatgw.prerm control/luci.postinst
var controlScripts embed.FS

// Arch describes one OpenWrt package architecture the floatgw binary is built for.
type Arch struct {
	Name    string // OpenWrt package architecture, e.g. mipsel_24kc
	GOARCH  string
	Env     string // extra Go environment, e.g. GOMIPS=softfloat
	Machine elf.Machine
	Class   elf.Class
	Order   binary.ByteOrder
}

// Arches are the architectures "make ipk" builds, in the order it builds them.
var Arches = []Arch{
	{"mipsel_24kc", "mipsle", "GOMIPS=softfloat", elf.EM_MIPS, elf.ELFCLASS32, binary.LittleEndian},
	{"mips_24kc", "mips", "GOMIPS=softfloat", elf.EM_MIPS, elf.ELFCLASS32, binary.BigEndian},
	{"arm_cortex-a7_neon-vfpv4", "arm", "GOARM=7", elf.EM_ARM, elf.ELFCLASS32, binary.LittleEndian},
	{"aarch64_generic", "arm64", "", elf.EM_AARCH64, elf.ELFCLASS64, binary.LittleEndian},
	{"x86_64", "amd64", "", elf.EM_X86_64, elf.ELFCLASS64, binary.LittleEndian},
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ipk:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fset := flag.NewFlagSet("ipk", flag.ContinueOnError)
	pkg := fset.String("pkg", "floatgw", "package to build: floatgw or luci-app-floatgw")
	archName := fset.String("arch", "", "OpenWrt package architecture (floatgw only): "+archNames())
	bin := fset.String("bin", "", "the floatgw binary to pack (floatgw only)")
	out := fset.String("out", "dist", "output directory")
	root := fset.String("root", "", "repository root (default: the directory holding go.mod, searched upwards)")
	version := fset.String("version", "", "package version, e.g. 0.1.0-1 (default: PKG_VERSION-PKG_RELEASE of the feed Makefile)")
	listArches := fset.Bool("list-arches", false, "print the supported architectures with their Go settings and exit")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fset.Args())
	}
	if *listArches {
		for _, a := range Arches {
			fmt.Printf("%s GOARCH=%s %s\n", a.Name, a.GOARCH, a.Env)
		}
		return nil
	}
	if *root == "" {
		r, err := findRoot()
		if err != nil {
			return err
		}
		*root = r
	}
	epoch, err := sourceDateEpoch(*root)
	if err != nil {
		return err
	}

	var pkgs []*Package
	switch *pkg {
	case "floatgw":
		arch, ok := lookupArch(*archName)
		if !ok {
			return fmt.Errorf("-arch %q: want one of %s", *archName, archNames())
		}
		if *bin == "" {
			return errors.New("-bin: the floatgw binary to pack is required")
		}
		p, err := floatgwPackage(*root, arch, *bin)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, p)
	case "luci-app-floatgw":
		if *archName != "" && *archName != "all" {
			return fmt.Errorf("-arch %q: luci-app-floatgw is architecture all", *archName)
		}
		if pkgs, err = luciPackages(*root); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-pkg %q: want floatgw or luci-app-floatgw", *pkg)
	}
	if *version != "" && !validVersion(*version) {
		return fmt.Errorf("-version %q: want digits first and only [0-9A-Za-z.+~-]", *version)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, p := range pkgs {
		if *version != "" {
			p.Control.Version = *version
		}
		p.Control.SourceDateEpoch = epoch
		ipk, err := p.Build(time.Unix(epoch, 0))
		if err != nil {
			return fmt.Errorf("%s: %w", p.Control.Package, err)
		}
		name := filepath.Join(*out, p.FileName())
		if err := os.WriteFile(name, ipk, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s %d\n", name, len(ipk))
	}
	return nil
}

func archNames() string {
	var n []string
	for _, a := range Arches {
		n = append(n, a.Name)
	}
	return strings.Join(n, ", ")
}

func lookupArch(name string) (Arch, bool) {
	for _, a := range Arches {
		if a.Name == name {
			return a, true
		}
	}
	return Arch{}, false
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the current directory: pass -root")
		}
		dir = parent
	}
}

// sourceDateEpoch returns $SOURCE_DATE_EPOCH, else the time of the last
// commit, so that the same tree always gives the same package bytes.
func sourceDateEpoch(root string) (int64, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a non-negative integer", s)
		}
		return n, nil
	}
	b, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	if err != nil {
		return 0, fmt.Errorf("set SOURCE_DATE_EPOCH (git log failed: %v)", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("git log: commit time %q: %v", b, err)
	}
	return n, nil
}

var versionRE = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~-]*$`)

func validVersion(v string) bool { return versionRE.MatchString(v) }

// Control holds the fields of an ipk's control file, in the order OpenWrt's
// include/package-pack.mk writes them.
type Control struct {
	Package         string
	Version         string
	Depends         []string
	Source          string
	SourceName      string
	License         string
	Section         string
	SourceDateEpoch int64
	URL             string
	Maintainer      string
	Architecture    string
	InstalledSize   int
	Description     string // first line is the summary; more lines follow
}

// Text renders the control file. Like package-pack.mk it writes
// "Description: " followed by every description line with its leading
// blanks replaced by one space, so the first line has two.
func (c *Control) Text() string {
	var b strings.Builder
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	field("Package", c.Package)
	field("Version", c.Version)
	field("Depends", strings.Join(c.Depends, ", "))
	field("Source", c.Source)
	field("SourceName", c.SourceName)
	field("License", c.License)
	field("Section", c.Section)
	if c.SourceDateEpoch > 0 {
		field("SourceDateEpoch", strconv.FormatInt(c.SourceDateEpoch, 10))
	}
	field("URL", c.URL)
	field("Maintainer", c.Maintainer)
	field("Architecture", c.Architecture)
	field("Installed-Size", strconv.Itoa(c.InstalledSize))
	b.WriteString("Description: ")
	for _, l := range strings.Split(strings.TrimSpace(c.Description), "\n") {
		b.WriteString(" " + strings.TrimSpace(l) + "\n")
	}
	return b.String()
}

// File is one entry of a package's data or control archive.
type File struct {
	Path string // absolute path on the router, e.g. /etc/init.d/floatgw
	Mode int64  // permission bits
	Data []byte
}

// Package is everything needed to write one .ipk.
type Package struct {
	Control   Control
	Conffiles []string
	Scripts   map[string][]byte // control member name → content (mode 0755)
	Files     []File
}

// FileName is the ipk's name as OpenWrt builds it: <Package>_<Version>_<Architecture>.ipk.
func (p *Package) FileName() string {
	return p.Control.Package + "_" + p.Control.Version + "_" + p.Control.Architecture + ".ipk"
}

// Build writes the package. It fills in Control.InstalledSize.
func (p *Package) Build(mtime time.Time) ([]byte, error) {
	dataTar, err := tarTree(p.Files, mtime)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	p.Control.InstalledSize = len(dataTar)
	ctl := []File{{Path: "/control", Mode: 0o644, Data: []byte(p.Control.Text())}}
	if len(p.Conffiles) > 0 {
		cf := append([]string(nil), p.Conffiles...)
		sort.Strings(cf)
		ctl = append(ctl, File{Path: "/conffiles", Mode: 0o644, Data: []byte(strings.Join(cf, "\n") + "\n")})
	}
	for name, s := range p.Scripts {
		ctl = append(ctl, File{Path: "/" + name, Mode: 0o755, Data: s})
	}
	controlTar, err := tarTree(ctl, mtime)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	dataGz, err := gz(dataTar)
	if err != nil {
		return nil, err
	}
	controlGz, err := gz(controlTar)
	if err != nil {
		return nil, err
	}
	// The outer archive lists its members in ipkg-build's order, not sorted.
	var outer bytes.Buffer
	tw := tar.NewWriter(&outer)
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"./debian-binary", []byte("2.0\n")},
		{"./data.tar.gz", dataGz},
		{"./control.tar.gz", controlGz},
	} {
		if err := tw.WriteHeader(fileHeader(m.name, 0o644, len(m.data), mtime)); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return gz(outer.Bytes())
}

func fileHeader(name string, mode int64, size int, mtime time.Time) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     mode,
		Size:     int64(size),
		ModTime:  mtime,
		Format:   tar.FormatGNU,
	}
}

// tarTree writes files as GNU tar entries "./", "./etc/", "./etc/x", … with
// every parent directory (mode 0755), sorted by name within each directory
// like "tar --sort=name", owned by 0:0.
func tarTree(files []File, mtime time.Time) ([]byte, error) {
	type node struct {
		isDir bool
		f     File
	}
	nodes := map[string]node{"": {isDir: true}}
	for _, f := range files {
		p := strings.Trim(path.Clean(f.Path), "/")
		if p == "" || p == "." || strings.HasPrefix(p, "..") {
			return nil, fmt.Errorf("bad path %q", f.Path)
		}
		if _, dup := nodes[p]; dup {
			return nil, fmt.Errorf("%s: listed twice", f.Path)
		}
		nodes[p] = node{f: f}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if n, ok := nodes[d]; ok && !n.isDir {
				return nil, fmt.Errorf("%s: %s is a file", f.Path, d)
			}
			nodes[d] = node{isDir: true}
		}
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return treeLess(names[i], names[j]) })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		nd := nodes[n]
		var hdr *tar.Header
		if nd.isDir {
			name := "./"
			if n != "" {
				name = "./" + n + "/"
			}
			hdr = &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mtime, Format: tar.FormatGNU}
		} else {
			hdr = fileHeader("./"+n, nd.f.Mode, len(nd.f.Data), mtime)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if !nd.isDir {
			if _, err := tw.Write(nd.f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// treeLess orders paths depth-first with the entries of each directory
// sorted by name: a directory comes right before its contents.
func treeLess(a, b string) bool {
	if a == "" {
		return b != ""
	}
	if b == "" {
		return false
	}
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

// gz compresses like "gzip -n": no file name, no timestamp; OS is Unix.
func gz(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Header.OS = 3
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkBinary refuses anything but a stripped, statically linked ELF
// executable for the architecture: a dynamically linked or wrong-endian
// binary would install fine and then fail on the router.
func checkBinary(name string, a Arch) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF file: %w", name, err)
	}
	defer f.Close()
	if f.Machine != a.Machine || f.Class != a.Class || f.ByteOrder != a.Order {
		return nil, fmt.Errorf("%s: %v %v %v binary, %s needs %v %v %v (GOARCH=%s %s)",
			name, f.Machine, f.Class, f.ByteOrder, a.Name, a.Machine, a.Class, a.Order, a.GOARCH, a.Env)
	}
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("%s: ELF type %v, want a static executable (CGO_ENABLED=0, no -buildmode=pie)", name, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			return nil, fmt.Errorf("%s: dynamically linked, want CGO_ENABLED=0", name)
		}
	}
	if f.Section(".symtab") != nil {
		return nil, fmt.Errorf("%s: not stripped, build with -ldflags \"-s -w\"", name)
	}
	return data, nil
}

// feedMakefile is what the builder needs from an OpenWrt package Makefile:
// its plain assignments and its define blocks, unexpanded.
type feedMakefile struct {
	path    string
	vars    map[string]string
	defines map[string][]string
}

var assignRE = regexp.MustCompile(`^([A-Za-z0-9_./-]+)\s*(?::=|\?=|=)\s*(.*)$`)

func readFeedMakefile(name string) (*feedMakefile, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	m := &feedMakefile{path: name, vars: map[string]string{}, defines: map[string][]string{}}
	var cur string
	var inDefine bool
	for _, l := range strings.Split(string(b), "\n") {
		if inDefine {
			if strings.TrimSpace(l) == "endef" {
				inDefine = false
				continue
			}
			m.defines[cur] = append(m.defines[cur], l)
			continue
		}
		if strings.HasPrefix(l, "define ") {
			cur, inDefine = strings.TrimSpace(strings.TrimPrefix(l, "define ")), true
			m.defines[cur] = nil
			continue
		}
		if sub := assignRE.FindStringSubmatch(l); sub != nil {
			if _, seen := m.vars[sub[1]]; !seen {
				m.vars[sub[1]] = strings.TrimSpace(sub[2])
			}
		}
	}
	return m, nil
}

var refRE = regexp.MustCompile(`\$\(([A-Za-z0-9_]+)\)`)

// get returns a variable with references to other plain variables of the
// same Makefile expanded; it fails on an unset or empty variable.
func (m *feedMakefile) get(name string) (string, error) {
	v, ok := m.vars[name]
	for depth := 0; ok && depth < 8 && strings.Contains(v, "$("); depth++ {
		v = refRE.ReplaceAllStringFunc(v, func(ref string) string {
			if r, ok := m.vars[ref[2:len(ref)-1]]; ok {
				return r
			}
			return ref
		})
	}
	if !ok || v == "" {
		return "", fmt.Errorf("%s: %s is not set", m.path, name)
	}
	return v, nil
}

// blockVar returns KEY from "  KEY:=value" lines of a define block.
func (m *feedMakefile) blockVar(block, key string) string {
	for _, l := range m.defines[block] {
		if sub := assignRE.FindStringSubmatch(strings.TrimSpace(l)); sub != nil && sub[1] == key {
			return strings.TrimSpace(sub[2])
		}
	}
	return ""
}

// depends turns an OpenWrt DEPENDS value into the control file's list:
// "+pkg" and "pkg" are kept, "@SYMBOL" conditions and "$(VAR)" references
// (like GO_ARCH_DEPENDS, an @ condition) dropped, and libc put first, as
// package-defaults.mk does for every package.
func depends(value string) ([]string, error) {
	out := []string{"libc"}
	for _, w := range strings.Fields(value) {
		switch {
		case strings.HasPrefix(w, "$("), strings.HasPrefix(w, "@"):
			continue
		case strings.Contains(w, ":"):
			return nil, fmt.Errorf("conditional dependency %q is not supported", w)
		}
		w = strings.TrimPrefix(w, "+")
		if w != "libc" {
			out = append(out, w)
		}
	}
	return out, nil
}

func baseControl(m *feedMakefile, name string) (Control, error) {
	c := Control{Package: name, SourceName: name, Source: "feeds/floatgw/" + name}
	v, err := m.get("PKG_VERSION")
	if err != nil {
		return c, err
	}
	r, err := m.get("PKG_RELEASE")
	if err != nil {
		return c, err
	}
	c.Version = v + "-" + r
	if !validVersion(c.Version) {
		return c, fmt.Errorf("%s: version %q is not usable", m.path, c.Version)
	}
	if c.License, err = m.get("PKG_LICENSE"); err != nil {
		return c, err
	}
	if c.Maintainer, err = m.get("PKG_MAINTAINER"); err != nil {
		return c, err
	}
	return c, nil
}

func floatgwPackage(root string, a Arch, bin string) (*Package, error) {
	m, err := readFeedMakefile(filepath.Join(root, "openwrt-feed", "floatgw", "Makefile"))
	if err != nil {
		return nil, err
	}
	c, err := baseControl(m, "floatgw")
	if err != nil {
		return nil, err
	}
	c.Architecture = a.Name
	c.Section = m.blockVar("Package/floatgw", "SECTION")
	c.URL = m.blockVar("Package/floatgw", "URL")
	if c.Depends, err = depends(m.blockVar("Package/floatgw", "DEPENDS")); err != nil {
		return nil, fmt.Errorf("%s: %w", m.path, err)
	}
	c.Description = strings.Join(m.defines["Package/floatgw/description"], "\n")
	if strings.TrimSpace(c.Description) == "" {
		return nil, fmt.Errorf("%s: Package/floatgw/description is empty", m.path)
	}
	var conffiles []string
	for _, l := range m.defines["Package/floatgw/conffiles"] {
		if l = strings.TrimSpace(l); l != "" {
			conffiles = append(conffiles, l)
		}
	}

	exe, err := checkBinary(bin, a)
	if err != nil {
		return nil, err
	}
	p := &Package{Control: c, Conffiles: conffiles, Files: []File{{Path: "/usr/sbin/floatgw", Mode: 0o755, Data: exe}}}
	for _, s := range []struct {
		src, dst string
		mode     int64
		missing  string
	}{
		{"initd/floatgw", "/etc/init.d/floatgw", 0o755, ""},
		{"internal/config/floatgw.conf", "/etc/config/floatgw", 0o600,
			"the default configuration is written by internal/config; the package builder does not invent one"},
		{"scripts/uci-defaults/80_floatgw", "/etc/uci-defaults/80_floatgw", 0o755, ""},
	} {
		data, err := os.ReadFile(filepath.Join(root, s.src))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && s.missing != "" {
				return nil, fmt.Errorf("%s is missing: %s", s.src, s.missing)
			}
			return nil, err
		}
		p.Files = append(p.Files, File{Path: s.dst, Mode: s.mode, Data: data})
	}
	hotplug, err := hotplugFiles(root)
	if err != nil {
		return nil, err
	}
	p.Files = append(p.Files, hotplug...)
	for _, cf := range conffiles {
		if !p.has(cf) {
			return nil, fmt.Errorf("conffile %s is not in the package", cf)
		}
	}
	postinst, _ := controlScripts.ReadFile("control/floatgw.postinst")
	prerm, _ := controlScripts.ReadFile("control/floatgw.prerm")
	p.Scripts = map[string][]byte{"postinst": postinst, "prerm": prerm}
	return p, nil
}

func (p *Package) has(name string) bool {
	for _, f := range p.Files {
		if f.Path == name {
			return true
		}
	}
	return false
}

// hotplugFiles maps scripts/hotplug/<subsystem>/<NN-name> to
// /etc/hotplug.d/<subsystem>/<NN-name> (mode 0644: hotplug-call sources
// them). Both forwarders, iface and keepalived, must be there.
func hotplugFiles(root string) ([]File, error) {
	dir := filepath.Join(root, "scripts", "hotplug")
	subs, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []File
	seen := map[string]bool{}
	for _, sub := range subs {
		if !sub.IsDir() || strings.HasPrefix(sub.Name(), ".") {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(dir, sub.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || !hotplugNameRE.MatchString(e.Name()) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, sub.Name(), e.Name()))
			if err != nil {
				return nil, err
			}
			files = append(files, File{Path: "/etc/hotplug.d/" + sub.Name() + "/" + e.Name(), Mode: 0o644, Data: data})
			seen[sub.Name()] = true
		}
	}
	for _, want := range []string{"iface", "keepalived"} {
		if !seen[want] {
			return nil, fmt.Errorf("scripts/hotplug/%s/ has no NN-name hotplug script", want)
		}
	}
	return files, nil
}

var hotplugNameRE = regexp.MustCompile(`^[0-9]+-[A-Za-z0-9_.-]+$`)

// luciPackages returns luci-app-floatgw and, like luci.mk, one
// luci-i18n-floatgw-<lang> package per translated language in luci-app/po.
func luciPackages(root string) ([]*Package, error) {
	m, err := readFeedMakefile(filepath.Join(root, "openwrt-feed", "luci-app-floatgw", "Makefile"))
	if err != nil {
		return nil, err
	}
	const name = "luci-app-floatgw"
	c, err := baseControl(m, name)
	if err != nil {
		return nil, err
	}
	c.Architecture = "all"
	c.Section = "luci"
	if c.URL, err = m.get("LUCI_URL"); err != nil {
		return nil, err
	}
	lucidep, err := m.get("LUCI_DEPENDS")
	if err != nil {
		return nil, err
	}
	if c.Depends, err = depends(lucidep); err != nil {
		return nil, fmt.Errorf("%s: %w", m.path, err)
	}
	if c.Description, err = m.get("LUCI_DESCRIPTION"); err != nil {
		if c.Description, err = m.get("LUCI_TITLE"); err != nil {
			return nil, err
		}
	}
	postinst, _ := controlScripts.ReadFile("control/luci.postinst")
	app := &Package{Control: c, Scripts: map[string][]byte{"postinst": postinst}}
	dir := filepath.Join(root, "luci-app")
	for _, t := range []struct{ src, dst string }{{"htdocs", "/www"}, {"root", "/"}} {
		files, err := treeFiles(filepath.Join(dir, t.src), t.dst)
		if err != nil {
			return nil, err
		}
		app.Files = append(app.Files, files...)
	}
	if !app.hasPrefix("/www/luci-static/resources/view/floatgw/") {
		return nil, errors.New("luci-app/htdocs has no views under luci-static/resources/view/floatgw/")
	}
	pkgs := []*Package{app}

	poVersion, err := m.get("PKG_PO_VERSION")
	if err != nil {
		poVersion = c.Version
	}
	langs, err := os.ReadDir(filepath.Join(dir, "po"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, l := range langs {
		if !l.IsDir() || l.Name() == "templates" || strings.HasPrefix(l.Name(), ".") {
			continue
		}
		p, err := translationPackage(c, poVersion, filepath.Join(dir, "po", l.Name()), postinst)
		if err != nil {
			return nil, err
		}
		if p != nil {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// luciLanguages maps the po/ directory names LuCI uses to the language code
// of the package and catalog names and the title luci.mk gives them.
var luciLanguages = map[string]struct{ code, title string }{
	"zh_Hans": {"zh-cn", "简体中文 (Chinese Simplified)"},
	"zh_Hant": {"zh-tw", "繁體中文 (Chinese Traditional)"},
	"en":      {"en", "English"},
}

// translationPackage is luci-i18n-floatgw-<code>: the compiled catalogs of
// one language and the uci-defaults line that adds the language to LuCI.
// It is nil when no .po file of the language has a translation.
func translationPackage(app Control, version, dir string, postinst []byte) (*Package, error) {
	lang, ok := luciLanguages[filepath.Base(dir)]
	if !ok {
		return nil, fmt.Errorf("%s: no LuCI language code and title known for %q (add it to luciLanguages in scripts/ipk)", dir, filepath.Base(dir))
	}
	pos, err := filepath.Glob(filepath.Join(dir, "*.po"))
	if err != nil {
		return nil, err
	}
	sort.Strings(pos)
	name := "luci-i18n-floatgw-" + lang.code
	p := &Package{Control: Control{
		Package:      name,
		Version:      version,
		Depends:      []string{"libc", app.Package},
		Source:       app.Source,
		SourceName:   app.SourceName,
		License:      app.License,
		Section:      "luci",
		URL:          app.URL,
		Maintainer:   app.Maintainer,
		Architecture: "all",
		Description:  "Translation for " + app.Package + " - " + lang.title,
	}, Scripts: map[string][]byte{"postinst": postinst}}
	for _, po := range pos {
		src, err := os.ReadFile(po)
		if err != nil {
			return nil, err
		}
		lmo, err := compileLMO(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", po, err)
		}
		if lmo == nil {
			continue
		}
		base := strings.TrimSuffix(filepath.Base(po), ".po")
		p.Files = append(p.Files, File{Path: "/usr/lib/lua/luci/i18n/" + base + "." + lang.code + ".lmo", Mode: 0o644, Data: lmo})
	}
	if len(p.Files) == 0 {
		return nil, nil
	}
	uciName := strings.ReplaceAll(lang.code, "-", "_")
	p.Files = append(p.Files, File{Path: "/etc/uci-defaults/" + name, Mode: 0o644,
		Data: []byte("uci set luci.languages." + uciName + "='" + lang.title + "'; uci commit luci\n")})
	return p, nil
}

func (p *Package) hasPrefix(prefix string) bool {
	for _, f := range p.Files {
		if strings.HasPrefix(f.Path, prefix) {
			return true
		}
	}
	return false
}

// treeFiles packs every regular file under dir (dot files skipped) at
// dst/<relative path>, mode 0755 if the file is executable, else 0644,
// as "cp -pR" from a git checkout would give.
func treeFiles(dir, dst string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if info.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		files = append(files, File{Path: path.Join(dst, filepath.ToSlash(rel)), Mode: mode, Data: data})
		return nil
	})
	return files, err
}
