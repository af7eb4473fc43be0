package scheduler

import "github.com/kwik-transport/kwik/pkg/presentation"

// Range is the half-open byte range [Start, End) of the object: KWIK's one
// range type, the receive side's, under the name the scheduler's callers use.
type Range = presentation.Range
