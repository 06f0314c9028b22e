package testenv

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"
)

// PcapRecord is one packet of a capture read by ReadPcap.
type PcapRecord struct {
	Sec, Usec uint32 // capture time, as stored
	Data      []byte // the captured bytes (an Ethernet frame)
}

// TS is the capture time the way `tcpdump -tt` prints it,
// "<seconds>.<microseconds, 6 digits>", for matching records with the
// .hex.txt decodings beside the shared captures.
func (r PcapRecord) TS() string { return fmt.Sprintf("%d.%06d", r.Sec, r.Usec) }

// Time is the capture time.
func (r PcapRecord) Time() time.Time { return time.Unix(int64(r.Sec), int64(r.Usec)*1000) }

// ReadPcap reads a classic little-endian, microsecond, Ethernet pcap
// file (what the shared keepalived captures are) and fails the test on
// anything else or on a truncated file.
func ReadPcap(t testing.TB, path string) []PcapRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", path)
	}
	if lt := binary.LittleEndian.Uint32(b[20:]); lt != 1 {
		t.Fatalf("%s: link type %d, want Ethernet", path, lt)
	}
	var recs []PcapRecord
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			t.Fatalf("%s: truncated record header at %d", path, off)
		}
		incl := int(binary.LittleEndian.Uint32(b[off+8:]))
		if len(b)-off-16 < incl {
			t.Fatalf("%s: truncated record at %d", path, off)
		}
		recs = append(recs, PcapRecord{
			Sec:  binary.LittleEndian.Uint32(b[off:]),
			Usec: binary.LittleEndian.Uint32(b[off+4:]),
			Data: b[off+16 : off+16+incl],
		})
		off += 16 + incl
	}
	return recs
}
