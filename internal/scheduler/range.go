package scheduler

import "fmt"

// Range is the half-open byte range [Start, End) of the object.
type Range struct {
	Start uint64
	End   uint64
}

// Len returns the number of bytes in r.
func (r Range) Len() uint64 { return r.End - r.Start }

// String formats r as "[Start, End)".
func (r Range) String() string { return fmt.Sprintf("[%d, %d)", r.Start, r.End) }
