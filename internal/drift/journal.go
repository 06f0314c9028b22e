package drift

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/floatgw/floatgw/internal/jsonx"
)

// Changes records what a run changed on this router and has not undone
// yet. A flag is set before the change is issued (and journalled), so it
// means "requested, maybe done": every undo is idempotent.
type Changes struct {
	// Demoted: the drift track file was set to 1.
	Demoted bool `json:"demoted,omitempty"`
	// Promoted: the promote track file was set to a non-zero value.
	Promoted bool `json:"promoted,omitempty"`
	// Paused: keepalived was sent SIGSTOP.
	Paused bool `json:"paused,omitempty"`
	// VIPsRemoved: the VIPs were deleted while keepalived was paused.
	VIPsRemoved bool `json:"vips_removed,omitempty"`
}

// Empty reports whether nothing is left to undo.
func (c Changes) Empty() bool { return c == Changes{} }

// Journal is the crash-recovery record of a run: enough for the next
// daemon start to undo what the run left behind ([Recover]). The daemon
// writes it atomically before every change ([SaveJournal]) and removes it
// at the end ([ClearJournal]).
type Journal struct {
	RunID   string
	Started time.Time
	Changes Changes
}

// journalVersion is the "v" member; readers refuse other versions.
const journalVersion = 1

// maxJournal bounds the encoded size; a larger file is not a journal.
const maxJournal = 4096

type journalWire struct {
	V       int     `json:"v"`
	RunID   string  `json:"run"`
	Started int64   `json:"started_ms"`
	Changes Changes `json:"changes"`
}

// MarshalJournal encodes j as one line of JSON, for example
// {"v":1,"run":"r1","started_ms":1795298950459,"changes":{"demoted":true}}.
// Started is kept to the millisecond.
func MarshalJournal(j Journal) ([]byte, error) {
	if j.RunID == "" || len(j.RunID) > 256 || !utf8.ValidString(j.RunID) {
		return nil, errors.New("drift: journal: run id must be 1–256 bytes of UTF-8")
	}
	b, err := jsonx.Marshal(journalWire{V: journalVersion, RunID: j.RunID, Started: j.Started.UnixMilli(), Changes: j.Changes})
	if err != nil {
		return nil, fmt.Errorf("drift: journal: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalJournal decodes what MarshalJournal wrote. It refuses unknown
// members, other versions, trailing data and inputs over 4 KiB. The result
// does not alias b.
func UnmarshalJournal(b []byte) (Journal, error) {
	if len(b) > maxJournal {
		return Journal{}, fmt.Errorf("drift: journal: %d bytes, want at most %d", len(b), maxJournal)
	}
	// UnmarshalStrict refuses unknown members and trailing data.
	var w journalWire
	if err := jsonx.UnmarshalStrict(b, &w); err != nil {
		return Journal{}, fmt.Errorf("drift: journal: %w", err)
	}
	if w.V != journalVersion {
		return Journal{}, fmt.Errorf("drift: journal: version %d, want %d", w.V, journalVersion)
	}
	if w.RunID == "" || len(w.RunID) > 256 || !utf8.ValidString(w.RunID) {
		return Journal{}, errors.New("drift: journal: run id must be 1–256 bytes of UTF-8")
	}
	return Journal{RunID: w.RunID, Started: time.UnixMilli(w.Started), Changes: w.Changes}, nil
}
