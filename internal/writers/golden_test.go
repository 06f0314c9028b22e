package writers

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/uci"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDryRunGolden pins what `floatgw apply --dry-run` shows for a main
// router (DHCP gateway on) over stock OpenWrt files.
func TestDryRunGolden(t *testing.T) {
	dir := configDir(t, mainRouterConfig)
	res, err := ApplyConfig(&uci.DirStore{Dir: dir}, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, true)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range res {
		for _, c := range r.Changes {
			b.WriteString("# " + c.String() + "\n")
		}
		b.WriteString(r.Diff)
	}
	const golden = "testdata/apply-dryrun.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("dry run output (-golden +got):\n%s", diff)
	}
}
