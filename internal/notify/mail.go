package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"steward/db"
)

// TLS modes of the connection to the mail server, as MailSettings.TLS
// shows them.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to send
	// when the server does not offer it: smtp:// to any host but loopback.
	TLSStartTLS = "STARTTLS, required"
	// TLSStartTLSIfOffered upgrades with STARTTLS only when the server
	// offers it: smtp:// to a loopback host, such as a local relay.
	TLSStartTLSIfOffered = "STARTTLS when offered (loopback host)"
	// TLSImplicit speaks TLS from the first byte: smtps://.
	TLSImplicit = "implicit TLS (smtps)"
)

// Default ports of the two schemes.
const (
	DefaultSMTPPort  = 587
	DefaultSMTPSPort = 465
)

// ErrMailOff is why an email is not sent when Steward has no mail server.
var ErrMailOff = errors.New(db.MailOff)

// MailSettings are how Steward sends email, as admins see them: everything
// but the password. The zero value is mail off.
type MailSettings struct {
	Host string
	Port int
	TLS  string // TLSStartTLS, TLSStartTLSIfOffered or TLSImplicit
	User string // "" when the server takes no login
	From string // the From address, as parsed
}

// Enabled says whether mail is set up.
func (m MailSettings) Enabled() bool { return m.Host != "" }

// Mail is MailSettings and the password: what the sender needs. It never
// prints the password.
type Mail struct {
	MailSettings
	password string
	// dial replaces the network dial, a test hook (export_test.go).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ParseMailURL reads the mail settings: rawURL is STEWARD_SMTP_URL
// (smtp://user:pass@host:port or smtps://…) and from is STEWARD_MAIL_FROM.
// Both empty is mail off. Its errors never hold the password.
func ParseMailURL(rawURL, from string) (Mail, error) {
	rawURL, from = strings.TrimSpace(rawURL), strings.TrimSpace(from)
	if rawURL == "" && from == "" {
		return Mail{}, nil
	}
	if rawURL == "" {
		return Mail{}, errors.New("STEWARD_MAIL_FROM is set but STEWARD_SMTP_URL is not: set both to send email, or neither")
	}
	const form = "; write it as smtp://user:password@host:587 or smtps://user:password@host:465 (percent-encode special characters in the user and password)"
	// url.Parse's errors quote the URL, password included: never pass them on.
	u, err := url.Parse(rawURL)
	if err != nil {
		return Mail{}, errors.New("STEWARD_SMTP_URL is not a valid URL" + form)
	}
	m := Mail{}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		m.Port = DefaultSMTPPort
	case "smtps":
		m.Port, m.TLS = DefaultSMTPSPort, TLSImplicit
	default:
		return Mail{}, fmt.Errorf("STEWARD_SMTP_URL must start with smtp:// or smtps://, not %q", u.Scheme+":")
	}
	m.Host = u.Hostname()
	if m.Host == "" || u.Opaque != "" {
		return Mail{}, errors.New("STEWARD_SMTP_URL names no mail server host" + form)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Mail{}, fmt.Errorf("STEWARD_SMTP_URL's port %q is not a port number (1 to 65535)", p)
		}
		m.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return Mail{}, errors.New("STEWARD_SMTP_URL takes no path, query or fragment after the host and port" + form)
	}
	if u.User != nil {
		m.User = u.User.Username()
		m.password, _ = u.User.Password()
	}
	if m.TLS == "" {
		m.TLS = TLSStartTLS
		if isLoopback(m.Host) {
			m.TLS = TLSStartTLSIfOffered
		}
	}
	if from == "" {
		return Mail{}, errors.New("STEWARD_SMTP_URL is set but STEWARD_MAIL_FROM is not: set the address Steward's email comes from, such as steward@example.com")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return Mail{}, fmt.Errorf("STEWARD_MAIL_FROM %q is not an email address such as steward@example.com or \"Steward <steward@example.com>\"", from)
	}
	m.From = addr.String()
	if addr.Name == "" {
		m.From = addr.Address // without String's angle brackets
	}
	return m, nil
}

// isLoopback says whether host is this machine's loopback: localhost or a
// loopback address. Mail to it does not cross a network.
func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientOptions are the mail client's options for m: the port, the TLS
// mode, the login and the timeout of one attempt.
func (m Mail) clientOptions() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(m.Port), gomail.WithTimeout(SendTimeout)}
	switch m.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStartTLSIfOffered:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	switch {
	case m.User == "":
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthNoAuth))
	case m.TLS == TLSStartTLSIfOffered:
		// The connection may stay plain on loopback, where go-mail's
		// automatic choice would refuse PLAIN and LOGIN: take the best the
		// server offers.
		opts = append(opts, gomail.WithUsername(m.User), gomail.WithPassword(m.password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	default:
		opts = append(opts, gomail.WithUsername(m.User), gomail.WithPassword(m.password),
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
	}
	if m.dial != nil {
		opts = append(opts, gomail.WithDialContextFunc(m.dial))
	}
	return opts
}

// send sends msg through m's server within ctx. Its error is the server's
// or the network's, without the password.
func (m Mail) send(ctx context.Context, msg *gomail.Msg) error {
	client, err := gomail.NewClient(m.Host, m.clientOptions()...)
	if err != nil {
		return permanent{m.hidePassword(err)}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer from the mail server within %s", SendTimeout)
		}
		return m.hidePassword(err)
	}
	return nil
}

// hidePassword is err with the password cut out, should a server or the
// library ever repeat it.
func (m Mail) hidePassword(err error) error {
	if m.password == "" || !strings.Contains(err.Error(), m.password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), m.password, "(password hidden)"))
}
