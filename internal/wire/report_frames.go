package wire

import "github.com/kwik-transport/kwik/pkg/presentation"

// Delivery counts the bytes of one stream received through one path.
type Delivery struct{ PathID, StreamID, Bytes uint64 }

// Smallest encodings of a presentation.Range and a Delivery: one byte per varint. They
// bound the Count a body of a given size can hold.
const (
	minRangeLen    = 2
	minDeliveryLen = 3
)

// checkRanges checks that every range is non-empty and that they are sorted
// and disjoint (touching is allowed).
func checkRanges(rs []presentation.Range) *Error {
	for i, r := range rs {
		if r.Start >= r.End {
			return newError(FrameMissingRanges, "Ranges", "range %d [%d, %d) is empty: Start must be below End", i, r.Start, r.End)
		}
		if i > 0 && r.Start < rs[i-1].End {
			return newError(FrameMissingRanges, "Ranges", "range %d starts at %d, before range %d ends at %d: ranges must be sorted and disjoint", i, r.Start, i-1, rs[i-1].End)
		}
	}
	return nil
}

// RangesRequest (RANGES_REQUEST) asks the client which ranges of a stream it
// is still missing; it answers with MISSING_RANGES.
type RangesRequest struct {
	RequestID uint64
	StreamID  uint64
}

// Type returns FrameRangesRequest.
func (f *RangesRequest) Type() FrameType { return FrameRangesRequest }

// Append appends the encoded frame to b.
func (f *RangesRequest) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameRangesRequest)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *RangesRequest) encode(e *encoder) {
	e.uint("RequestID", f.RequestID)
	e.uint("StreamID", f.StreamID)
}

func (f *RangesRequest) decode(d *decoder) {
	f.RequestID = d.uint("RequestID")
	f.StreamID = d.uint("StreamID")
}

// MissingRanges (MISSING_RANGES) lists the ranges of a stream the client has
// not received, in answer to RANGES_REQUEST RequestID, or unsolicited
// (RequestID 0) for a persistent gap.
//
// The ranges are the receive side's own type: at most MaxRanges of them,
// sorted and disjoint. On the wire the final size is 0 when unknown and
// the final size plus one when known; Truncated is not sent.
type MissingRanges struct {
	RequestID uint64
	presentation.MissingRanges
}

// wireFinalSize is the FinalSize field as sent: 0 unknown, else size+1.
func (f *MissingRanges) wireFinalSize() uint64 {
	if !f.FinalSizeKnown {
		return 0
	}
	return f.FinalSize + 1
}

// Type returns FrameMissingRanges.
func (f *MissingRanges) Type() FrameType { return FrameMissingRanges }

// Append appends the encoded frame to b.
func (f *MissingRanges) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameMissingRanges)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *MissingRanges) encode(e *encoder) {
	e.uint("RequestID", f.RequestID)
	e.uint("StreamID", f.StreamID)
	e.uint("ReadOffset", f.ReadOffset)
	e.uint("FinalSize", f.wireFinalSize())
	e.count("Count", len(f.Ranges), MaxRanges)
	if e.sizing {
		if err := checkRanges(f.Ranges); err != nil {
			e.fail(err)
		}
	}
	for _, r := range f.Ranges {
		e.uint("Start", r.Start)
		e.uint("End", r.End)
	}
}

func (f *MissingRanges) decode(d *decoder) {
	f.RequestID = d.uint("RequestID")
	f.StreamID = d.uint("StreamID")
	f.ReadOffset = d.uint("ReadOffset")
	if v := d.uint("FinalSize"); v > 0 {
		f.FinalSize, f.FinalSizeKnown = v-1, true
	}
	n := d.count("Count", MaxRanges, minRangeLen)
	if n == 0 {
		return
	}
	f.Ranges = make([]presentation.Range, n)
	for i := range f.Ranges {
		f.Ranges[i] = presentation.Range{Start: d.uint("Start"), End: d.uint("End")}
	}
	if d.err == nil {
		if err := checkRanges(f.Ranges); err != nil {
			d.fail(err)
		}
	}
}

// DeliveryReport (DELIVERY_REPORT) tells the primary how many bytes of each
// stream the client has received through each path, cumulatively.
type DeliveryReport struct {
	Deliveries []Delivery // at most MaxDeliveries
}

// Type returns FrameDeliveryReport.
func (f *DeliveryReport) Type() FrameType { return FrameDeliveryReport }

// Append appends the encoded frame to b.
func (f *DeliveryReport) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameDeliveryReport)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *DeliveryReport) encode(e *encoder) {
	e.count("Count", len(f.Deliveries), MaxDeliveries)
	for _, r := range f.Deliveries {
		e.uint("PathID", r.PathID)
		e.uint("StreamID", r.StreamID)
		e.uint("Bytes", r.Bytes)
	}
}

func (f *DeliveryReport) decode(d *decoder) {
	n := d.count("Count", MaxDeliveries, minDeliveryLen)
	if n == 0 {
		return
	}
	f.Deliveries = make([]Delivery, n)
	for i := range f.Deliveries {
		f.Deliveries[i] = Delivery{PathID: d.uint("PathID"), StreamID: d.uint("StreamID"), Bytes: d.uint("Bytes")}
	}
}

// ReportRequest (REPORT_REQUEST) asks the client for a DELIVERY_REPORT at
// once.
type ReportRequest struct {
	RequestID uint64
}

// Type returns FrameReportRequest.
func (f *ReportRequest) Type() FrameType { return FrameReportRequest }

// Append appends the encoded frame to b.
func (f *ReportRequest) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameReportRequest)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *ReportRequest) encode(e *encoder) { e.uint("RequestID", f.RequestID) }

func (f *ReportRequest) decode(d *decoder) { f.RequestID = d.uint("RequestID") }
