package wire

// Close (CLOSE) ends the session or refuses a CLIENT_HELLO; the sender then
// closes the QUIC connection with the same code.
type Close struct {
	ErrorCode ErrorCode
	Reason    string // at most MaxReasonLen bytes; says what to do about it
}

// Type returns FrameClose.
func (f *Close) Type() FrameType { return FrameClose }

// Append appends the encoded frame to b.
func (f *Close) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameClose)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *Close) encode(e *encoder) {
	e.uint("ErrorCode", uint64(f.ErrorCode))
	e.string("Reason", f.Reason, MaxReasonLen)
}

func (f *Close) decode(d *decoder) {
	f.ErrorCode = ErrorCode(d.uint("ErrorCode"))
	f.Reason = d.string("Reason", MaxReasonLen)
}

// Ping (PING) asks the peer for a PONG with the same Seq.
type Ping struct {
	Seq uint64
}

// Type returns FramePing.
func (f *Ping) Type() FrameType { return FramePing }

// Append appends the encoded frame to b.
func (f *Ping) Append(b []byte) ([]byte, error) {
	e := newEncoder(FramePing)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *Ping) encode(e *encoder) { e.uint("Seq", f.Seq) }

func (f *Ping) decode(d *decoder) { f.Seq = d.uint("Seq") }

// Pong (PONG) answers the PING with the same Seq.
type Pong struct {
	Seq uint64
}

// Type returns FramePong.
func (f *Pong) Type() FrameType { return FramePong }

// Append appends the encoded frame to b.
func (f *Pong) Append(b []byte) ([]byte, error) {
	e := newEncoder(FramePong)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *Pong) encode(e *encoder) { e.uint("Seq", f.Seq) }

func (f *Pong) decode(d *decoder) { f.Seq = d.uint("Seq") }
