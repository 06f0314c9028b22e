package ubus

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by operations on a Client after Close.
var ErrClosed = errors.New("ubus: client closed")

// ErrDisconnected is returned (wrapped) when the connection to ubusd broke
// while a request was outstanding, or when the client is not connected and
// will not reconnect. It is retryable: a Client with reconnection enabled
// re-establishes the connection and its registrations by itself.
var ErrDisconnected = errors.New("ubus: disconnected from ubusd")

// StatusError is a non-zero status answered by ubusd or by an object owner.
// It unwraps to the Status, so errors.Is(err, StatusNotFound) works, and
// errors.As(err, &se) gives the operation.
type StatusError struct {
	Op     string // e.g. "call floatgw.status", "lookup floatgw"
	Status Status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ubus: %s: %s", e.Op, e.Status.Error()[len("ubus: "):])
}

// Unwrap returns the Status.
func (e *StatusError) Unwrap() error { return e.Status }

// OpError is a transport failure (dial, write, read) during an operation.
type OpError struct {
	Op  string // "dial", "write", "hello", …
	Err error
}

func (e *OpError) Error() string { return "ubus: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// Timeout reports whether the underlying error is a timeout.
func (e *OpError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// statusOf maps a handler's error to the status sent back to the caller:
// a Status anywhere in the chain is used as is, anything else is
// UNKNOWN_ERROR.
func statusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var s Status
	if errors.As(err, &s) {
		return s
	}
	return StatusUnknownError
}
