package daemon

import (
	"context"
	"strings"
	"testing"

	"github.com/floatgw/floatgw/internal/api"
)

// Every safe fix of the catalogue has an implementation, and nothing else is applied.
func TestApplyFixCoversSafeFixes(t *testing.T) {
	o := DefaultOptions(t.TempDir())
	o.Platform = PlatformLinux
	o.KeepalivedStart = []string{"true"} // never start the host's keepalived
	d := New(o, nil, "test")
	for _, f := range api.Fixes {
		err := d.applyFix(context.Background(), f.ID)
		notAuto := err != nil && strings.Contains(err.Error(), "is not automatic")
		if f.Safe && notAuto {
			t.Errorf("safe fix %s has no implementation in applyFix", f.ID)
		}
		if !f.Safe && !notAuto {
			t.Errorf("fix %s is not safe but applyFix applies it (err %v)", f.ID, err)
		}
	}
}
