package wire

// Range is the half-open byte range [Start, End) of a stream.
type Range struct{ Start, End uint64 }

// Delivery counts the bytes of one stream received through one path.
type Delivery struct{ PathID, StreamID, Bytes uint64 }

// Smallest encodings of a Range and a Delivery: one byte per varint. They
// bound the Count a body of a given size can hold.
const (
	minRangeLen    = 2
	minDeliveryLen = 3
)

// checkRanges checks that every range is non-empty and that they are sorted
// and disjoint (touching is allowed).
func checkRanges(rs []Range) *Error {
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
type MissingRanges struct {
	RequestID  uint64
	StreamID   uint64
	ReadOffset uint64
	// FinalSize is 0 when the final size is unknown, else the final size
	// plus one, as on the wire; see Final and SetFinal.
	FinalSize uint64
	Ranges    []Range // at most MaxRanges, sorted and disjoint
}

// Final returns the stream's final size and whether it is known.
func (f *MissingRanges) Final() (size uint64, known bool) {
	if f.FinalSize == 0 {
		return 0, false
	}
	return f.FinalSize - 1, true
}

// SetFinal records that the stream's final size is size.
func (f *MissingRanges) SetFinal(size uint64) { f.FinalSize = size + 1 }

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
	e.uint("FinalSize", f.FinalSize)
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
	f.FinalSize = d.uint("FinalSize")
	n := d.count("Count", MaxRanges, minRangeLen)
	if n == 0 {
		return
	}
	f.Ranges = make([]Range, n)
	for i := range f.Ranges {
		f.Ranges[i] = Range{Start: d.uint("Start"), End: d.uint("End")}
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
