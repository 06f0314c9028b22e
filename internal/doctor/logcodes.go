package doctor

import "github.com/floatgw/floatgw/internal/api"

// logCodes maps the keepalived log patterns (internal/keepalived.LogPatterns) to the diagnosis
// they are evidence for. Patterns that are not a problem by themselves (state changes,
// priority-0 adverts) map to nothing.
var logCodes = map[string]api.Code{
	"SEND_ADVERT_ERROR":          api.AdvertSendEPERM,
	"CANT_SEND_ADVERT":           api.PeerUnreachable,
	"BOGUS_VRRP_PACKET":          api.VRIDConflict,
	"VRID_MISMATCH":              api.VRIDConflict,
	"VIP_NOT_IN_ADVERT":          api.VRIDConflict,
	"VIP_COUNT_MISMATCH":         api.VRIDConflict,
	"ADVERT_INTERVAL_MISMATCH":   api.AdvertIntervalMismatch,
	"AUTH_PASS_MISMATCH":         api.AuthMismatch,
	"AUTH_TYPE_MISMATCH":         api.AuthMismatch,
	"AUTH_PASS_TRUNCATED":        api.AuthPassTooLong,
	"SPLIT_BRAIN_ELECTION":       api.SplitBrain,
	"STRICT_MODE_FIREWALL":       api.VIPUnreachable,
	"NOTIFY_SCRIPT_ERROR":        api.NotifyHandlerMissing,
	"CONFIG_ERROR":               api.KeepalivedConfigInvalid,
	"TRACK_FILE_NOT_FOUND":       api.KeepalivedConfigInvalid,
	"INTERFACE_MISSING":          api.KeepalivedConfigInvalid,
	"DUPLICATE_VRID_CONFIG":      api.KeepalivedConfigInvalid,
	"INTERFACE_DOWN":             api.InterfaceDown,
	"UNICAST_MULTICAST_MISMATCH": api.PeerNoAdverts,
	"UNICAST_SOURCE_NOT_PEER":    api.VRIDConflict,
}

// LogCode returns the diagnosis code a keepalived log pattern code is evidence for, or "".
func LogCode(keepalivedCode string) api.Code { return logCodes[keepalivedCode] }
