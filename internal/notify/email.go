package notify

import (
	"bytes"
	"context"
	"encoding/json"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"steward/db"
)

// emailContent is what an email says: the summary, then where, when, what
// to do and the items of the message's db.Facts, and the record's link.
type emailContent struct {
	Summary  string
	Account  string
	Platform string
	When     string
	Action   string
	Items    []string
	Record   string // the record's name
	Link     string // the record's page (a reviewer's own link); "" without a base URL
	Event    string
	Delivery string
}

// emailText is the plain-text part.
var emailText = texttemplate.Must(texttemplate.New("text").Parse(`{{.Summary}}
{{if .Account}}
Account: {{.Account}}{{end}}{{if .Platform}}
Platform: {{.Platform}}{{end}}{{if .When}}
When: {{.When}}{{end}}{{if .Action}}

What to do: {{.Action}}{{end}}{{if .Items}}
{{range .Items}}
- {{.}}{{end}}{{end}}{{if .Link}}

Open {{if .Record}}{{.Record}}{{else}}the record{{end}} in Steward: {{.Link}}{{end}}

--
Sent by Steward ({{.Event}}, delivery {{.Delivery}}).
`))

// emailHTML is the HTML part: the same as the text, escaped by
// html/template, with inline styles only (mail clients drop the rest).
var emailHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Summary}}</title></head>
<body style="margin:0;padding:16px;background:#f8fafc;font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#0f172a;font-size:15px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #e2e8f0;border-radius:8px;padding:20px">
<p style="margin:0 0 16px;font-size:17px;font-weight:600">{{.Summary}}</p>
{{if or .Account .Platform .When}}<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">
{{if .Account}}<tr><td style="padding:2px 12px 2px 0;color:#475569">Account</td><td style="padding:2px 0">{{.Account}}</td></tr>{{end}}
{{if .Platform}}<tr><td style="padding:2px 12px 2px 0;color:#475569">Platform</td><td style="padding:2px 0">{{.Platform}}</td></tr>{{end}}
{{if .When}}<tr><td style="padding:2px 12px 2px 0;color:#475569">When</td><td style="padding:2px 0">{{.When}}</td></tr>{{end}}
</table>{{end}}
{{if .Action}}<p style="margin:0 0 16px"><strong>What to do:</strong> {{.Action}}</p>{{end}}
{{if .Items}}<ul style="margin:0 0 16px;padding-left:20px">{{range .Items}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Link}}<p style="margin:0 0 16px"><a href="{{.Link}}" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:8px 14px;border-radius:6px">Open {{if .Record}}{{.Record}}{{else}}the record{{end}} in Steward</a></p>{{end}}
<p style="margin:16px 0 0;color:#64748b;font-size:12px">Sent by Steward ({{.Event}}, delivery {{.Delivery}}).</p>
</div>
</body></html>
`))

// emailContentOf is what the email of d says. Details that are not
// db.Facts (or keys beyond them) are left out.
func (s *Service) emailContentOf(ctx context.Context, d db.Delivery) emailContent {
	var f db.ReviewReminderDetails
	_ = json.Unmarshal(d.Details, &f) // a message without facts still has its summary
	c := emailContent{Summary: d.Summary, Account: f.Account, Platform: f.Platform, When: f.When,
		Action: f.Action, Items: f.Items, Record: d.RecordName, Link: s.recordURL(d), Event: d.Event, Delivery: d.DeliveryID}
	if d.Event == db.EventReviewReminder && f.ReviewerOwnerID != 0 {
		c.Record, c.Link = "your review", s.reviewerLink(ctx, d.Record.ID, f.ReviewerOwnerID)
	}
	if day, err := time.Parse(time.DateOnly, f.When); err == nil {
		c.When = day.Format("Monday 2 January 2006")
	}
	return c
}

// emailMessage is the email of d from the From address: a summary subject,
// plain-text and HTML parts, and a Message-ID made of the delivery ID, so a
// retry is the same message.
func (s *Service) emailMessage(ctx context.Context, d db.Delivery) (*gomail.Msg, error) {
	c := s.emailContentOf(ctx, d)
	var text, html bytes.Buffer
	if err := emailText.Execute(&text, c); err != nil {
		return nil, err
	}
	if err := emailHTML.Execute(&html, c); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.Mail.From); err != nil {
		return nil, err
	}
	if err := msg.To(d.Recipient); err != nil {
		return nil, permanent{err}
	}
	msg.Subject("[Steward] " + oneLine(d.Summary))
	msg.SetMessageIDWithValue(d.DeliveryID + "@" + domainOf(s.cfg.Mail.From))
	msg.SetDateWithValue(s.store.Now())
	msg.SetGenHeader(HeaderEvent, d.Event)
	msg.SetGenHeader(HeaderDelivery, d.DeliveryID)
	// RFC 3834: automatic mail, so responders do not answer it.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetUserAgent("Steward")
	msg.SetBodyString(gomail.TypeTextPlain, text.String())
	msg.AddAlternativeString(gomail.TypeTextHTML, html.String())
	return msg, nil
}

// sendEmail sends d to its recipient through the mail server. Without a
// mail server it fails for good.
func (s *Service) sendEmail(ctx context.Context, d db.Delivery) error {
	if !s.cfg.Mail.Enabled() {
		return permanent{ErrMailOff}
	}
	msg, err := s.emailMessage(ctx, d)
	if err != nil {
		return permanent{err}
	}
	return s.cfg.Mail.send(ctx, msg)
}

// reviewerLink is the working personal link of reviewer ownerID in review
// reviewID on Steward's public address, made as the email is sent so that
// its secret is never queued; "" without a base URL, or once the link was
// revoked or the review closed.
func (s *Service) reviewerLink(ctx context.Context, reviewID, ownerID int64) string {
	path, err := s.store.ReviewLinkPath(ctx, reviewID, ownerID)
	if err != nil || s.cfg.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + path
}

// oneLine is s on one line: a header may not break.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// domainOf is the domain of the address from ("Steward <s@example.com>"),
// for Message-IDs.
func domainOf(from string) string {
	at := strings.LastIndex(from, "@")
	if at < 0 {
		return "steward.invalid"
	}
	return strings.TrimRight(from[at+1:], ">")
}
