package db

// FieldSpec is what storage knows of one field of a record input, whatever
// the input: its name, which is the form's key and the import's and
// export's column, and how an import reads it.
type FieldSpec struct {
	Name     string
	Required bool   // a new record needs a value here
	Ref      string // the kind of record it names ("owner"), if it names one
	Flag     bool   // yes or no
	// Enum are the values it takes when it is one of a few lower-case
	// words (the list its validation checks against); an import takes any case.
	Enum []string
	Keep bool // an empty import cell keeps the record's value when updating
	// Secret is a value Steward never keeps (a token's): a form does not
	// show it again, an import refuses it and an export has no column for it.
	Secret bool
}

// Field is one field of the input In: its spec and where it is in In.
type Field[In any] struct {
	FieldSpec
	Of func(*In) *string
}

// Fields is the field table of one record input: every field its form
// posts, in the order of the import's and the export's columns. Forms,
// handlers, imports and exports name an input's fields only through it.
type Fields[In any] []Field[In]

// Specs are the fields' specs, for code that needs no input.
func (fs Fields[In]) Specs() []FieldSpec {
	out := make([]FieldSpec, len(fs))
	for i, f := range fs {
		out[i] = f.FieldSpec
	}
	return out
}

// Fill sets each field of in to value(its name).
func (fs Fields[In]) Fill(in *In, value func(name string) string) {
	for _, f := range fs {
		*f.Of(in) = value(f.Name)
	}
}

// Values are in's fields by name, but for secrets: what a form shows.
func (fs Fields[In]) Values(in In) map[string]string {
	out := make(map[string]string, len(fs))
	for _, f := range fs {
		if !f.Secret {
			out[f.Name] = *f.Of(&in)
		}
	}
	return out
}

// Named is the field called name.
func (fs Fields[In]) Named(name string) (Field[In], bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field[In]{}, false
}

// Columns are the names of the kind's fields that imports and exports
// take: every field but secrets, in table order.
func (k Kind) Columns() []string {
	out := make([]string, 0, len(k.Fields))
	for _, f := range k.Fields {
		if !f.Secret {
			out = append(out, f.Name)
		}
	}
	return out
}

// SecretColumns are the names of the kind's secret fields.
func (k Kind) SecretColumns() []string {
	var out []string
	for _, f := range k.Fields {
		if f.Secret {
			out = append(out, f.Name)
		}
	}
	return out
}
