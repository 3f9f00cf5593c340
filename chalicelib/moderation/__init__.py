"""Contact details in text: one detector of e-mail, phone, link, messenger and @handle, and the redactor (pure)."""
