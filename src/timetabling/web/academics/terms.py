"""Terms (an academic year's semester: dates and holidays) and the organization's time zone, as the calendar
exports use them."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms

from timetabling.web.academics import models as am


def term_holidays(term: am.Term) -> list[date]:
    """The term's holidays as dates; what is not an ISO date is skipped (the form never stores one)."""
    out = []
    for value in term.holidays or []:
        try:
            out.append(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return sorted(out)


class TermForm(forms.ModelForm):
    """A term; holidays typed one ISO date a line (or separated by commas)."""

    holidays_text = forms.CharField(required=False, label="Holidays", widget=forms.Textarea(attrs={"rows": 5}),
                                    help_text="one date a line, YYYY-MM-DD")

    class Meta:
        model = am.Term
        fields = ("academic_year", "semester", "start_date", "end_date")
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}),
                   "end_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["holidays_text"].initial = "\n".join(d.isoformat() for d in term_holidays(self.instance))

    def clean_holidays_text(self) -> list[str]:
        days = []
        for word in self.cleaned_data["holidays_text"].replace(",", "\n").split():
            try:
                days.append(date.fromisoformat(word))
            except ValueError:
                raise forms.ValidationError(f"'{word[:20]}' is not a date (YYYY-MM-DD)") from None
        return sorted({d.isoformat() for d in days})

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "the term ends before it starts")
        for day in data.get("holidays_text") or []:
            if start and end and not start <= date.fromisoformat(day) <= end:
                self.add_error("holidays_text", f"{day} is outside the term")
        return data

    def save(self, commit: bool = True) -> am.Term:
        self.instance.holidays = self.cleaned_data["holidays_text"]
        return super().save(commit)


class TimeZoneForm(forms.ModelForm):
    class Meta:
        model = am.Organization
        fields = ("time_zone",)

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if not name:
            return ""
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"'{name[:60]}' is not a time zone name such as Asia/Kolkata") from None
        if name not in available_timezones():
            raise forms.ValidationError(f"'{name[:60]}' is not a time zone name such as Asia/Kolkata")
        return name
