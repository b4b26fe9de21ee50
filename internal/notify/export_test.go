package notify

import (
	"context"
	"net"
)

// WithMailDial is m with its connections dialled by dial: a test reaches a
// server on loopback while m names another host.
func WithMailDial(m Mail, dial func(ctx context.Context, network, addr string) (net.Conn, error)) Mail {
	m.dial = dial
	return m
}
