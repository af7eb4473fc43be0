// Package streamctl gives KWIK's own helpers (multisource.Spread) the part of a
// stream's write side that applications must not reach: the peer's credit
// as a sender that paces itself sees it. Package stream registers the
// accessor; being internal, this package is importable only by KWIK.
package streamctl

// Credit is a stream's send credit.
type Credit interface {
	// SendLimit returns the absolute offset the peer lets this side write
	// up to, and a channel closed when it (or the write side's state)
	// changes.
	SendLimit() (uint64, <-chan struct{})
	// DataBlocked tells the peer that this side holds bytes back for lack
	// of credit (STREAM_DATA_BLOCKED), once per limit value.
	DataBlocked()
}

var of func(str any) Credit

// Register sets the accessor; package stream calls it in its init.
func Register(f func(str any) Credit) { of = f }

// Of returns the credit of str, which must be a *stream.Stream.
func Of(str any) Credit { return of(str) }
