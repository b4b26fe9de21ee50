package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"steward/db"
)

// Webhook headers: the event type, the delivery ID (the same on every
// attempt, for receivers to drop repeats) and the body's signature.
const (
	HeaderEvent     = "X-Steward-Event"
	HeaderDelivery  = "X-Steward-Delivery"
	HeaderSignature = "X-Steward-Signature"
)

// Body is the JSON a webhook of format json receives.
type Body struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	OccurredAt string          `json:"occurred_at"`
	Record     *BodyRecord     `json:"record"` // null when the event is about no record
	Summary    string          `json:"summary"`
	Details    json.RawMessage `json:"details"`
}

// BodyRecord is the record an event is about.
type BodyRecord struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"` // its page; "" when Steward has no base URL
}

// Sign is the X-Steward-Signature of body under secret:
// "sha256=" and the hex HMAC-SHA256 of the raw body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// recordURL is the page of the record d is about, or "".
func (s *Service) recordURL(d db.Delivery) string {
	k, ok := db.KindNamed(d.Record.Kind)
	if !ok || s.cfg.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + k.URL(d.Record.ID)
}

// webhookBody is what a webhook of format receives for d.
func (s *Service) webhookBody(d db.Delivery, format string) ([]byte, error) {
	link := s.recordURL(d)
	if format == db.WebhookSlack {
		text := "*" + slackEscape(d.Event) + "*: " + slackEscape(d.Summary)
		if link != "" {
			text += "\n<" + link + "|" + slackEscape(d.RecordName) + ">"
		}
		return json.Marshal(map[string]string{"text": text})
	}
	b := Body{ID: d.DeliveryID, Event: d.Event, OccurredAt: d.CreatedAt.UTC().Format(time.RFC3339), Summary: d.Summary, Details: d.Details}
	if d.Record.Kind != "" {
		b.Record = &BodyRecord{Kind: d.Record.Kind, ID: d.Record.ID, Name: d.RecordName, URL: link}
	}
	return json.Marshal(b)
}

// slackEscape escapes the three characters Slack's message text reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// sendWebhook posts d to its webhook: any 2xx answer is delivered.
func (s *Service) sendWebhook(ctx context.Context, d db.Delivery) error {
	target, err := s.store.WebhookTarget(ctx, d.WebhookID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return permanent{errors.New("not sent: the webhook was deleted")}
	case errors.Is(err, db.ErrWebhookUnreadable):
		return permanent{errors.New("not sent: the webhook's address and secret were sealed with another audit key; edit the webhook to enter them again")}
	case err != nil:
		return err
	case target.Disabled:
		return permanent{errors.New("not sent: the webhook is disabled")}
	}
	body, err := s.webhookBody(d, target.Format)
	if err != nil {
		return permanent{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, bytes.NewReader(body))
	if err != nil {
		return permanent{errors.New("not sent: the webhook's address is not usable")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhook/1")
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, d.DeliveryID)
	if target.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(target.Secret, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return remoteError(err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := "the receiver answered " + resp.Status
		if text := strings.TrimSpace(string(snippet)); text != "" {
			msg += ": " + text
		}
		return errors.New(msg)
	}
	return nil
}

// remoteError says why a request got no answer, without the URL (it may
// hold a credential, as Slack's do).
func remoteError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("no answer within %s", SendTimeout)
	}
	return fmt.Errorf("could not reach the receiver: %v", err)
}

// PointsAt reports whether the webhook address raw points at one of selves:
// Steward's own base URL or listen address ("127.0.0.1:8080", ":8080").
// Any loopback, unspecified or local-interface host is the same machine.
func PointsAt(raw string, selves ...string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host, port := hostPort(u.Scheme, u.Host)
	for _, self := range selves {
		if self == "" {
			continue
		}
		var sh, sp string
		if su, err := url.Parse(self); err == nil && su.Scheme != "" && su.Host != "" {
			sh, sp = hostPort(su.Scheme, su.Host)
		} else if h, p, err := net.SplitHostPort(self); err == nil {
			sh, sp = h, p
		} else {
			continue
		}
		if port == sp && (strings.EqualFold(host, sh) || (isLocal(host) && isLocal(sh))) {
			return true
		}
	}
	return false
}

// hostPort splits an URL's host into host and port, the port defaulting to
// the scheme's.
func hostPort(scheme, hostport string) (string, string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]"), p
	}
	if scheme == "https" {
		return strings.Trim(hostport, "[]"), "443"
	}
	return strings.Trim(hostport, "[]"), "80"
}

// isLocal reports whether host names this machine: localhost, a loopback
// or unspecified address (a server listening on all addresses), or one of
// its interfaces' addresses.
func isLocal(host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}
