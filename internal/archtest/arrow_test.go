package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/floatgw/floatgw"

type pkg struct {
	ImportPath string
	Deps       []string
}

func listPackages(t *testing.T, tags string) []pkg {
	t.Helper()
	args := []string{"list", "-e", "-json"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, mod+"/...")
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestDependencyArrow(t *testing.T) {
	for _, tags := range []string{"", "openwrt"} {
		for _, p := range listPackages(t, tags) {
			rel := strings.TrimPrefix(p.ImportPath, mod+"/")
			isLib := strings.HasPrefix(rel, "ubus") || strings.HasPrefix(rel, "uci")
			isDomain := strings.HasPrefix(rel, "internal/") && !strings.HasPrefix(rel, "internal/daemon") &&
				!strings.HasPrefix(rel, "internal/labtest") && !strings.HasPrefix(rel, "internal/archtest")
			for _, d := range p.Deps {
				if !strings.HasPrefix(d, mod+"/") {
					continue
				}
				drel := strings.TrimPrefix(d, mod+"/")
				switch {
				case isLib && strings.HasPrefix(drel, "internal/"):
					t.Errorf("library %s imports %s: libraries never import internal/", rel, drel)
				case isDomain && strings.HasPrefix(drel, "internal/daemon"):
					t.Errorf("domain package %s imports %s: domain packages never import the daemon", rel, drel)
				case strings.HasPrefix(drel, "cmd/"):
					t.Errorf("%s imports the command %s", rel, drel)
				// internal/labtest is itself test support (only its tests use it).
				case drel == "internal/testenv" && rel != "internal/labtest":
					t.Errorf("non-test package %s imports %s: test helpers are imported from _test.go files only", rel, drel)
				}
			}
		}
	}
}

// The OpenWrt build must not carry D-Bus (STYLE.md rule 17).
func TestOpenWrtBuildHasNoDBus(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "openwrt", mod+"/cmd/floatgw")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if strings.Contains(string(out), "github.com/godbus/dbus") {
		t.Error("cmd/floatgw built with -tags openwrt depends on godbus/dbus")
	}
}

// internal/testenv is for tests only: nothing of it may reach the binary.
func TestBinaryHasNoTestenv(t *testing.T) {
	for _, tags := range []string{"", "openwrt"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", tags, mod+"/cmd/floatgw")
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		if !strings.Contains(string(out), mod+"/internal/config\n") {
			t.Fatalf("go list -deps -tags %q cmd/floatgw lists no internal/config; output not understood:\n%s", tags, out)
		}
		if strings.Contains(string(out), mod+"/internal/testenv") {
			t.Errorf("cmd/floatgw built with -tags %q depends on internal/testenv", tags)
		}
	}
}
