package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
)

// recordForms are one kind's form pages, written once: the empty form, the
// form filled in from the record, and saving either, which re-shows the
// form with its errors (422, values kept) or goes to the record with a
// message. Each kind says what differs: its defaults, what a new form takes
// from the query, how the store saves it, its page and its messages.
type recordForms[In any] struct {
	s      *Server
	kind   string // the db.Kind name, for the saved record's URL
	fields db.Fields[In]
	// blank is a new record's input; fromQuery names the fields a new form
	// takes from the query, as links from related records' pages choose them.
	blank     func() In
	fromQuery []string
	load      func(ctx context.Context, id int64) (In, error)
	create    func(ctx context.Context, a db.Actor, in In) (savedRecord, error)
	update    func(ctx context.Context, a db.Actor, id int64, in In) (savedRecord, error)
	render    func(c echo.Context, status int, id int64, f components.Form) error
	// added and saved are the messages after creating and updating.
	added, saved string
}

// savedRecord is what saving a record gives: its ID and any further
// messages to show after the usual one.
type savedRecord struct {
	ID    int64
	Notes []string
}

// created adapts a store's create function that has nothing more to say.
func created[In any](create func(context.Context, db.Actor, In) (int64, error)) func(context.Context, db.Actor, In) (savedRecord, error) {
	return func(ctx context.Context, a db.Actor, in In) (savedRecord, error) {
		id, err := create(ctx, a, in)
		return savedRecord{ID: id}, err
	}
}

// updated adapts a store's update function that has nothing more to say.
func updated[In any](update func(context.Context, db.Actor, int64, In) error) func(context.Context, db.Actor, int64, In) (savedRecord, error) {
	return func(ctx context.Context, a db.Actor, id int64, in In) (savedRecord, error) {
		return savedRecord{ID: id}, update(ctx, a, id, in)
	}
}

// inputOf adapts a store's ByID function to load a record's form input.
func inputOf[R interface{ Input() In }, In any](byID func(context.Context, int64) (R, error)) func(context.Context, int64) (In, error) {
	return func(ctx context.Context, id int64) (In, error) {
		r, err := byID(ctx, id)
		return r.Input(), err
	}
}

// newForm shows an empty form.
func (rf recordForms[In]) newForm(c echo.Context) error {
	return rf.render(c, http.StatusOK, 0, rf.focused(newRecordForm(c, rf.fields, rf.blank(), rf.fromQuery...)))
}

// createRecord saves a new record, or re-shows the form with its errors.
func (rf recordForms[In]) createRecord(c echo.Context) error {
	f, in := readRecordForm(c, rf.fields)
	saved, err := rf.create(c.Request().Context(), actor(c), in)
	return rf.answer(c, 0, f, saved, err, rf.added)
}

// editForm shows the record's form filled in.
func (rf recordForms[In]) editForm(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	in, err := rf.load(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return rf.render(c, http.StatusOK, id, rf.focused(recordForm(c, rf.fields, in)))
}

// updateRecord saves changes to a record, or re-shows the form with its errors.
func (rf recordForms[In]) updateRecord(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, in := readRecordForm(c, rf.fields)
	saved, err := rf.update(c.Request().Context(), actor(c), id, in)
	return rf.answer(c, id, f, saved, err, rf.saved)
}

// answer re-shows form f of record formID (0: a new one) with err's
// messages, or goes to the saved record with message and its notes.
func (rf recordForms[In]) answer(c echo.Context, formID int64, f components.Form, saved savedRecord, err error, message string) error {
	if invalid(err, &f) {
		return rf.render(c, http.StatusUnprocessableEntity, formID, rf.focused(f))
	}
	if err != nil {
		return err
	}
	rf.s.flash(c, message)
	for _, note := range saved.Notes {
		rf.s.flash(c, note)
	}
	return redirect(c, components.RecordURL(rf.kind, saved.ID))
}

// focused puts the focus of form f on its first field, or on the first
// field with an error, in the order of the kind's field table (which is
// the order of its form).
func (rf recordForms[In]) focused(f components.Form) components.Form {
	names := make([]string, len(rf.fields))
	for i, field := range rf.fields {
		names[i] = field.Name
	}
	return f.FocusFirst(names...)
}
