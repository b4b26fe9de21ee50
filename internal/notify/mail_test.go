package notify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"steward/db"
	"steward/internal/notify"
)

// The SMTP login the mail server below takes; the password has characters
// a URL must percent-encode.
const (
	smtpUser     = "steward@example.com"
	smtpPassword = "p@ss:w/rd%-Quartz"
	smtpUserURL  = "steward%40example.com:p%40ss%3Aw%2Frd%25-Quartz"
)

// mailServer is a real SMTP server (emersion/go-smtp) on loopback that
// keeps every message it accepts. It offers no STARTTLS and takes AUTH
// PLAIN with smtpUser and smtpPassword.
type mailServer struct {
	srv  *smtp.Server
	addr string
	mu   sync.Mutex
	got  []receivedMail
}

type receivedMail struct {
	from string
	to   []string
	data []byte
}

// startMailServer serves on addr ("127.0.0.1:0" for any port).
func startMailServer(t *testing.T, addr string) *mailServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	m := &mailServer{addr: ln.Addr().String()}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{server: m}, nil }))
	m.srv.Domain = "localhost"
	m.srv.AllowInsecureAuth = true // loopback, as a local relay
	go func() { _ = m.srv.Serve(ln) }()
	t.Cleanup(func() { m.srv.Close() })
	return m
}

func (m *mailServer) messages() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.got...)
}

type mailSession struct {
	server *mailServer
	authed bool
	cur    receivedMail
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur = receivedMail{from: from}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.server.mu.Lock()
	s.server.got = append(s.server.got, s.cur)
	s.server.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.cur = receivedMail{} }
func (s *mailSession) Logout() error { return nil }

// mailTo is the Mail settings for the server at addr, with the login.
func mailTo(t *testing.T, addr string) notify.Mail {
	t.Helper()
	m, err := notify.ParseMailURL("smtp://"+smtpUserURL+"@"+addr, "Steward <steward@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// queueEmail queues a token.expiring reminder by email to ana, with the
// facts every channel shows.
func queueEmail(t *testing.T, s *db.Store) {
	t.Helper()
	n, err := s.Queue(context.Background(), db.Message{Rule: "token.expiring", Record: db.Ref{Kind: "token", ID: 42},
		Threshold: "7d", Recipient: "ana@example.com", Event: "token.expiring", RecordName: "CRM token",
		Summary: "CRM token expires in 7 days",
		Details: db.Facts{Account: "Acme CRM", Platform: "Salesforce", When: "2026-03-08",
			Action: "Rotate the token, then record the new expiry date.", Items: []string{"API token <read & write>"}},
		Channel: db.ChannelEmail})
	if err != nil || n != 1 {
		t.Fatalf("queue: %d, %v", n, err)
	}
}

// newMailer is the notifier over s with mail m and a base URL.
func newMailer(s *db.Store, m notify.Mail) *notify.Service {
	return notify.New(s, notify.Config{BaseURL: "https://steward.example.com", Mail: m,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// delivery is the store's only delivery.
func delivery(t *testing.T, s *db.Store) db.Delivery {
	t.Helper()
	log, err := s.ListDeliveries(context.Background(), "", 0, 10)
	if err != nil || len(log.Items) != 1 {
		t.Fatalf("deliveries: %d, %v", len(log.Items), err)
	}
	return log.Items[0]
}

// mailParts are a multipart/alternative message's parts, decoded, by
// content type.
func mailParts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(b)
	}
	return parts
}

func TestReminderEmailArrivesWithBothPartsTheFactsAndTheLink(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	srv := startMailServer(t, "127.0.0.1:0")
	queueEmail(t, s)
	out, err := newMailer(s, mailTo(t, srv.addr)).Drain(context.Background())
	if err != nil || out.Sent != 1 {
		t.Fatalf("drain: %+v, %v (last error %q)", out, err, delivery(t, s).LastError)
	}
	if got := state(t, s); got != "sent:1" {
		t.Fatalf("outbox %s, want sent:1", got)
	}
	got := srv.messages()
	if len(got) != 1 || got[0].from != "steward@example.com" || len(got[0].to) != 1 || got[0].to[0] != "ana@example.com" {
		t.Fatalf("server got %+v, want one message from steward@ to ana@", got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	d := delivery(t, s)
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	for header, want := range map[string]string{
		"Subject":            "[Steward] CRM token expires in 7 days",
		"Message-Id":         "<" + d.DeliveryID + "@example.com>",
		"X-Steward-Event":    "token.expiring",
		"X-Steward-Delivery": d.DeliveryID,
		"To":                 "<ana@example.com>",
	} {
		value := msg.Header.Get(header)
		if header == "Subject" {
			value = subject
		}
		if value != want {
			t.Errorf("%s: %q, want %q", header, value, want)
		}
	}
	parts := mailParts(t, msg)
	link := "https://steward.example.com/tokens/42"
	text := parts["text/plain"]
	for _, want := range []string{"CRM token expires in 7 days", "Account: Acme CRM", "Platform: Salesforce",
		"When: Sunday 8 March 2026", "What to do: Rotate the token, then record the new expiry date.",
		"- API token <read & write>", "Open CRM token in Steward: " + link} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	html := parts["text/html"]
	for _, want := range []string{"Acme CRM", "Salesforce", "Sunday 8 March 2026", "Rotate the token",
		"<li>API token &lt;read &amp; write&gt;</li>", `href="` + link + `"`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<read") {
		t.Error("HTML part holds an item unescaped")
	}
}

func TestMailServerDownKeepsTheEmailPendingThenSendsItOnce(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	// A port nothing listens on: the mail server is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	svc := newMailer(s, mailTo(t, addr))
	queueEmail(t, s)
	if out, err := svc.Drain(context.Background()); err != nil || out.Retry != 1 {
		t.Fatalf("drain while down: %+v, %v", out, err)
	}
	d := delivery(t, s)
	if d.Status != db.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "connection refused") {
		t.Fatalf("after the failed attempt: %s, %d attempts, error %q; want pending, 1, connection refused", d.Status, d.Attempts, d.LastError)
	}
	if strings.Contains(d.LastError, smtpPassword) {
		t.Fatalf("the delivery log holds the password: %q", d.LastError)
	}

	srv := startMailServer(t, addr) // the server comes back
	if out, _ := svc.Drain(context.Background()); out.Sent != 0 {
		t.Fatalf("sent %d before the backoff ended", out.Sent)
	}
	c.Add(2 * time.Minute)
	if out, err := svc.Drain(context.Background()); err != nil || out.Sent != 1 {
		t.Fatalf("drain after the backoff: %+v, %v", out, err)
	}
	c.Add(time.Hour)
	if out, _ := svc.Drain(context.Background()); out.Sent != 0 {
		t.Fatalf("sent %d more", out.Sent)
	}
	if n := len(srv.messages()); n != 1 {
		t.Fatalf("the server got %d messages, want 1", n)
	}
	if got := state(t, s); got != "sent:2" {
		t.Fatalf("outbox %s, want sent:2", got)
	}
}

func TestRemoteHostWithoutSTARTTLSIsRefused(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	srv := startMailServer(t, "127.0.0.1:0") // offers no STARTTLS
	m, err := notify.ParseMailURL("smtp://"+smtpUserURL+"@mail.example.com", "steward@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.TLS != notify.TLSStartTLS || m.Port != notify.DefaultSMTPPort {
		t.Fatalf("mail.example.com: TLS %q port %d, want %q %d", m.TLS, m.Port, notify.TLSStartTLS, notify.DefaultSMTPPort)
	}
	// The connection to mail.example.com reaches the server on loopback.
	m = notify.WithMailDial(m, func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.addr)
	})
	queueEmail(t, s)
	if out, err := newMailer(s, m).Drain(context.Background()); err != nil || out.Retry != 1 {
		t.Fatalf("drain: %+v, %v", out, err)
	}
	if d := delivery(t, s); d.Status != db.DeliveryPending || !strings.Contains(d.LastError, "STARTTLS") {
		t.Fatalf("delivery %s, error %q; want pending with a STARTTLS error", d.Status, d.LastError)
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("the server got %d messages without TLS", n)
	}
}

func TestEmailWithoutMailFailsForGood(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	queueEmail(t, s)
	if out, err := newMailer(s, notify.Mail{}).Drain(context.Background()); err != nil || out.Failed != 1 {
		t.Fatalf("drain: %+v, %v", out, err)
	}
	d := delivery(t, s)
	if d.Status != db.DeliveryFailed || d.LastError != "Mail is not set up: set STEWARD_SMTP_URL and STEWARD_MAIL_FROM" {
		t.Fatalf("delivery %s, error %q", d.Status, d.LastError)
	}
}

func TestParseMailURL(t *testing.T) {
	const from = "steward@example.com"
	good := []struct {
		url, from string
		want      notify.MailSettings
	}{
		{"smtp://" + smtpUserURL + "@mail.example.com", from,
			notify.MailSettings{Host: "mail.example.com", Port: 587, TLS: notify.TLSStartTLS, User: smtpUser, From: "steward@example.com"}},
		{"smtp://relay.example.com:2525/", from,
			notify.MailSettings{Host: "relay.example.com", Port: 2525, TLS: notify.TLSStartTLS, From: "steward@example.com"}},
		{"SMTP://localhost:25", from,
			notify.MailSettings{Host: "localhost", Port: 25, TLS: notify.TLSStartTLSIfOffered, From: "steward@example.com"}},
		{"smtp://[::1]", from,
			notify.MailSettings{Host: "::1", Port: 587, TLS: notify.TLSStartTLSIfOffered, From: "steward@example.com"}},
		{"smtps://u:" + smtpPassword[:2] + "@smtp.example.com", `"Steward" <steward@example.com>`,
			notify.MailSettings{Host: "smtp.example.com", Port: 465, TLS: notify.TLSImplicit, User: "u", From: `"Steward" <steward@example.com>`}},
	}
	for _, g := range good {
		m, err := notify.ParseMailURL(g.url, g.from)
		if err != nil || m.MailSettings != g.want {
			t.Errorf("ParseMailURL(%q): %+v, %v; want %+v", g.url, m.MailSettings, err, g.want)
		}
	}
	if m, err := notify.ParseMailURL("", ""); err != nil || m.Enabled() {
		t.Errorf("nothing set: %+v, %v; want mail off", m, err)
	}

	secret := "s3cret-Harbor"
	bad := []struct{ url, from, want string }{
		{"http://u:" + secret + "@mail.example.com", from, "must start with smtp:// or smtps://"},
		{"smtp://u:" + secret + "@", from, "names no mail server host"},
		{"smtp:u:" + secret, from, "names no mail server host"},
		{"smtp://u:" + secret + "@mail.example.com:99999", from, "not a port number"},
		{"smtp://u:" + secret + "@mail.example.com:0", from, "not a port number"},
		{"smtp://u:" + secret + "@mail.example.com:abc", from, "not a valid URL"},
		{"smtp://u:" + secret + "@mail.example.com?tls=off", from, "no path, query or fragment"},
		{"smtp://u:" + secret + "@mail.example.com/x", from, "no path, query or fragment"},
		{"smtp://u:" + secret + "@mail.example.com#x", from, "no path, query or fragment"},
		{"smtp://u:" + secret + "@mail example.com", from, "not a valid URL"},
		{"smtp://u:" + secret + "@mail.example.com", "", "STEWARD_MAIL_FROM is not"},
		{"smtp://u:" + secret + "@mail.example.com", "steward", "is not an email address"},
		{"", from, "STEWARD_SMTP_URL is not"},
	}
	for _, b := range bad {
		_, err := notify.ParseMailURL(b.url, b.from)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseMailURL(%q, %q): %v; want an error with %q", b.url, b.from, err, b.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseMailURL(%q): the error shows the password: %v", b.url, err)
		}
	}
}
