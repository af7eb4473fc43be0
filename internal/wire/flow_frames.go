package wire

// MaxStreamData (MAX_STREAM_DATA) raises the absolute offset up to which the
// peer may send on a stream.
type MaxStreamData struct {
	StreamID uint64
	Limit    uint64
}

// Type returns FrameMaxStreamData.
func (f *MaxStreamData) Type() FrameType { return FrameMaxStreamData }

// Append appends the encoded frame to b.
func (f *MaxStreamData) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameMaxStreamData)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *MaxStreamData) encode(e *encoder) {
	e.uint("StreamID", f.StreamID)
	e.uint("Limit", f.Limit)
}

func (f *MaxStreamData) decode(d *decoder) {
	f.StreamID = d.uint("StreamID")
	f.Limit = d.uint("Limit")
}

// MaxData (MAX_DATA) raises the session-wide limit on received bytes.
type MaxData struct {
	Limit uint64
}

// Type returns FrameMaxData.
func (f *MaxData) Type() FrameType { return FrameMaxData }

// Append appends the encoded frame to b.
func (f *MaxData) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameMaxData)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *MaxData) encode(e *encoder) { e.uint("Limit", f.Limit) }

func (f *MaxData) decode(d *decoder) { f.Limit = d.uint("Limit") }

// StreamDataBlocked (STREAM_DATA_BLOCKED) says the sender is stuck at Limit
// on a stream; the receiver answers with MAX_STREAM_DATA.
type StreamDataBlocked struct {
	StreamID uint64
	Limit    uint64
}

// Type returns FrameStreamDataBlocked.
func (f *StreamDataBlocked) Type() FrameType { return FrameStreamDataBlocked }

// Append appends the encoded frame to b.
func (f *StreamDataBlocked) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameStreamDataBlocked)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *StreamDataBlocked) encode(e *encoder) {
	e.uint("StreamID", f.StreamID)
	e.uint("Limit", f.Limit)
}

func (f *StreamDataBlocked) decode(d *decoder) {
	f.StreamID = d.uint("StreamID")
	f.Limit = d.uint("Limit")
}

// MaxStreams (MAX_STREAMS) raises the cumulative number of streams the peer
// may open.
type MaxStreams struct {
	Count uint64
}

// Type returns FrameMaxStreams.
func (f *MaxStreams) Type() FrameType { return FrameMaxStreams }

// Append appends the encoded frame to b.
func (f *MaxStreams) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameMaxStreams)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *MaxStreams) encode(e *encoder) { e.uint("Count", f.Count) }

func (f *MaxStreams) decode(d *decoder) { f.Count = d.uint("Count") }

// ResetStream (RESET_STREAM) abandons the sending side of a stream at
// FinalSize.
type ResetStream struct {
	StreamID  uint64
	ErrorCode ErrorCode // ApplicationCode(c) for an application's code c
	FinalSize uint64
}

// Type returns FrameResetStream.
func (f *ResetStream) Type() FrameType { return FrameResetStream }

// Append appends the encoded frame to b.
func (f *ResetStream) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameResetStream)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *ResetStream) encode(e *encoder) {
	e.uint("StreamID", f.StreamID)
	e.uint("ErrorCode", uint64(f.ErrorCode))
	e.uint("FinalSize", f.FinalSize)
}

func (f *ResetStream) decode(d *decoder) {
	f.StreamID = d.uint("StreamID")
	f.ErrorCode = ErrorCode(d.uint("ErrorCode"))
	f.FinalSize = d.uint("FinalSize")
}

// StopSending (STOP_SENDING) asks the peer to stop sending on a stream.
type StopSending struct {
	StreamID  uint64
	ErrorCode ErrorCode // ApplicationCode(c) for an application's code c
	Reason    string    // at most MaxReasonLen bytes
}

// Type returns FrameStopSending.
func (f *StopSending) Type() FrameType { return FrameStopSending }

// Append appends the encoded frame to b.
func (f *StopSending) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameStopSending)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *StopSending) encode(e *encoder) {
	e.uint("StreamID", f.StreamID)
	e.uint("ErrorCode", uint64(f.ErrorCode))
	e.string("Reason", f.Reason, MaxReasonLen)
}

func (f *StopSending) decode(d *decoder) {
	f.StreamID = d.uint("StreamID")
	f.ErrorCode = ErrorCode(d.uint("ErrorCode"))
	f.Reason = d.string("Reason", MaxReasonLen)
}
