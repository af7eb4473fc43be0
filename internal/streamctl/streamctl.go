// Package streamctl gives KWIK's own helpers (multisource.Spread) the part
// of a stream's write side that applications must not reach: the peer's
// credit as a sender that paces itself sees it. Package stream registers the
// accessor for its streams and the module root one for the streams it
// hands to applications; being internal, this package is importable only
// by KWIK.
package streamctl

import "fmt"

// Credit is a stream's send credit.
type Credit interface {
	// SendLimit returns the absolute offset the peer lets this side write
	// up to. On a primary, the channel of Session.Deliveries is closed when
	// it grows.
	SendLimit() uint64
	// DataBlocked tells the peer that this side holds bytes back for lack
	// of credit (STREAM_DATA_BLOCKED), once per limit value.
	DataBlocked()
}

// accessors are tried in turn by Of. They are registered by package
// initialisers only, which run one at a time, so reads need no lock.
var accessors []func(str any) (Credit, bool)

// Register adds an accessor that returns the credit of the streams it
// knows (ok true) and reports false for any other value. Call it from an
// init function only.
func Register(f func(str any) (c Credit, ok bool)) { accessors = append(accessors, f) }

// Of returns the credit of str: a *stream.Stream or the module root's
// *kwik.Stream. It panics on anything else, a bug in KWIK.
func Of(str any) Credit {
	for _, f := range accessors {
		if c, ok := f(str); ok {
			return c
		}
	}
	panic(fmt.Sprintf("streamctl: %T is not a KWIK stream", str))
}
