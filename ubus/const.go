package ubus

import "strconv"

// Socket paths searched by Dial when no explicit path is given, in order.
// The first is libubus's compiled-in UBUS_UNIX_SOCKET since 2019; the second
// is the path older releases used.
const (
	DefaultSocketPath = "/var/run/ubus/ubus.sock"
	LegacySocketPath  = "/var/run/ubus.sock"
)

// MaxMessageLen is UBUS_MAX_MSGLEN: the largest padded message body (blob
// header included) that ubusd accepts or libubus sends. Larger frames are
// rejected before any buffer is allocated.
const MaxMessageLen = 1048576

// MaxDepth is the deepest nesting of blobmsg tables and arrays this package
// decodes or encodes. It equals json-c's default tokener depth, so anything
// the ubus command line can put on the bus fits.
const MaxDepth = 32

// Reserved object ids inside ubusd (UBUS_SYSTEM_OBJECT_*).
const (
	EventObjectID   uint32 = 1
	ACLObjectID     uint32 = 2
	MonitorObjectID uint32 = 3
)

// MsgType is enum ubus_msg_type, the second byte of every message header.
type MsgType uint8

// Message types from ubusmsg.h.
const (
	MsgHello        MsgType = 0
	MsgStatus       MsgType = 1
	MsgData         MsgType = 2
	MsgPing         MsgType = 3
	MsgLookup       MsgType = 4
	MsgInvoke       MsgType = 5
	MsgAddObject    MsgType = 6
	MsgRemoveObject MsgType = 7
	MsgSubscribe    MsgType = 8
	MsgUnsubscribe  MsgType = 9
	MsgNotify       MsgType = 10
	MsgMonitor      MsgType = 11
)

var msgTypeNames = [...]string{"HELLO", "STATUS", "DATA", "PING", "LOOKUP", "INVOKE",
	"ADD_OBJECT", "REMOVE_OBJECT", "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "MONITOR"}

// String returns the ubusmsg.h name without prefix, e.g. "INVOKE".
func (t MsgType) String() string {
	if int(t) < len(msgTypeNames) {
		return msgTypeNames[t]
	}
	return "MsgType(" + strconv.Itoa(int(t)) + ")"
}

// AttrID is enum ubus_msg_attr: the blob id of a top-level attribute in a
// message body. MONITOR messages use the MonitorAttr numbering instead.
type AttrID uint8

// Message attributes from ubusmsg.h.
const (
	AttrUnspec      AttrID = 0
	AttrStatus      AttrID = 1
	AttrObjPath     AttrID = 2
	AttrObjID       AttrID = 3
	AttrMethod      AttrID = 4
	AttrObjType     AttrID = 5
	AttrSignature   AttrID = 6
	AttrData        AttrID = 7
	AttrTarget      AttrID = 8
	AttrActive      AttrID = 9
	AttrNoReply     AttrID = 10
	AttrSubscribers AttrID = 11
	AttrUser        AttrID = 12
	AttrGroup       AttrID = 13
)

var attrNames = [...]string{"UNSPEC", "STATUS", "OBJPATH", "OBJID", "METHOD", "OBJTYPE",
	"SIGNATURE", "DATA", "TARGET", "ACTIVE", "NO_REPLY", "SUBSCRIBERS", "USER", "GROUP"}

// String returns the ubusmsg.h name without prefix, e.g. "OBJID".
func (a AttrID) String() string {
	if int(a) < len(attrNames) {
		return attrNames[a]
	}
	return "AttrID(" + strconv.Itoa(int(a)) + ")"
}

// Monitor attributes (enum ubus_monitor_attr). They share the AttrID type
// but are only meaningful inside a MONITOR message.
const (
	MonitorClient AttrID = 0
	MonitorPeer   AttrID = 1
	MonitorSend   AttrID = 2
	MonitorSeq    AttrID = 3
	MonitorType   AttrID = 4
	MonitorData   AttrID = 5
)

var monitorAttrNames = [...]string{"CLIENT", "PEER", "SEND", "SEQ", "TYPE", "DATA"}

// MonitorAttrName returns the name of a monitor attribute id.
func MonitorAttrName(a AttrID) string {
	if int(a) < len(monitorAttrNames) {
		return monitorAttrNames[a]
	}
	return "MonitorAttr(" + strconv.Itoa(int(a)) + ")"
}

// attrKind is the blob type ubusd's policy expects for an attribute.
type attrKind uint8

const (
	kindOpaque attrKind = iota
	kindInt32
	kindInt8
	kindString
	kindNested
)

var attrKinds = [...]attrKind{
	AttrStatus: kindInt32, AttrObjPath: kindString, AttrObjID: kindInt32,
	AttrMethod: kindString, AttrObjType: kindInt32, AttrSignature: kindNested,
	AttrData: kindNested, AttrTarget: kindInt32, AttrActive: kindInt8,
	AttrNoReply: kindInt8, AttrSubscribers: kindNested, AttrUser: kindString,
	AttrGroup: kindString,
}

var monitorKinds = [...]attrKind{
	MonitorClient: kindInt32, MonitorPeer: kindInt32, MonitorSend: kindInt8,
	MonitorSeq: kindInt32, MonitorType: kindInt32, MonitorData: kindNested,
}

func kindOf(t MsgType, id AttrID) attrKind {
	if t == MsgMonitor {
		if int(id) < len(monitorKinds) {
			return monitorKinds[id]
		}
		return kindOpaque
	}
	if int(id) < len(attrKinds) {
		return attrKinds[id]
	}
	return kindOpaque
}

// Type is enum blobmsg_type: the type of a blobmsg value.
type Type uint8

// blobmsg types from libubox blobmsg.h. TypeBool is an alias of TypeInt8,
// exactly as in libubox: every JSON renderer on OpenWrt shows an INT8 as
// true/false, so never send small numbers as TypeInt8.
const (
	TypeUnspec Type = 0
	TypeArray  Type = 1
	TypeTable  Type = 2
	TypeString Type = 3
	TypeInt64  Type = 4
	TypeInt32  Type = 5
	TypeInt16  Type = 6
	TypeInt8   Type = 7
	TypeBool   Type = TypeInt8
	TypeDouble Type = 8
)

var typeNames = [...]string{"unspec", "array", "table", "string", "int64", "int32", "int16", "int8", "double"}

// String returns a lower-case name such as "int32"; TypeInt8 is "int8".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Status is enum ubus_msg_status, the code carried by STATUS messages.
// Status implements error, so handlers can return it directly and callers
// can test for it with errors.Is (e.g. errors.Is(err, StatusNotFound)).
type Status int32

// Status codes from ubusmsg.h.
const (
	StatusOK               Status = 0
	StatusInvalidCommand   Status = 1
	StatusInvalidArgument  Status = 2
	StatusMethodNotFound   Status = 3
	StatusNotFound         Status = 4
	StatusNoData           Status = 5
	StatusPermissionDenied Status = 6
	StatusTimeout          Status = 7
	StatusNotSupported     Status = 8
	StatusUnknownError     Status = 9
	StatusConnectionFailed Status = 10
	StatusNoMemory         Status = 11
	StatusParseError       Status = 12
	StatusSystemError      Status = 13
)

var statusNames = [...]string{"OK", "INVALID_COMMAND", "INVALID_ARGUMENT", "METHOD_NOT_FOUND",
	"NOT_FOUND", "NO_DATA", "PERMISSION_DENIED", "TIMEOUT", "NOT_SUPPORTED", "UNKNOWN_ERROR",
	"CONNECTION_FAILED", "NO_MEMORY", "PARSE_ERROR", "SYSTEM_ERROR"}

// libubus ubus_strerror texts, lower-cased for Go error strings.
var statusTexts = [...]string{"success", "invalid command", "invalid argument", "method not found",
	"not found", "no response", "permission denied", "request timed out", "operation not supported",
	"unknown error", "connection failed", "out of memory", "parsing message data failed", "system error"}

// String returns the ubusmsg.h name without prefix, e.g. "NOT_FOUND".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "STATUS_" + strconv.Itoa(int(s))
}

// Error returns libubus's text for the code, e.g. "ubus: not found".
func (s Status) Error() string {
	if s >= 0 && int(s) < len(statusTexts) {
		return "ubus: " + statusTexts[s]
	}
	return "ubus: status " + strconv.Itoa(int(s))
}
