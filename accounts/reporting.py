"""Error reports without a contact's personal data (DEFAULT_EXCEPTION_REPORTER_FILTER).

Django's filter hides settings that look like secrets and the POST fields a view marks sensitive.
A 500 while saving a contact or logging a visit would still put the person's phone, e-mail and
profile in the e-mail to ADMINS (or whatever collects error reports): in the POST data, and in the
local variables of every frame (`validated_data`, `cleaned_data`, a `Contact` whose repr is its
name). This filter masks those too, by field name, by model, and by the values posted (form fields,
or a JSON body: the API's). Like Django's own, it is active only with DEBUG off; with DEBUG on the
report goes to the developer's browser.
"""

import json
import re
from collections.abc import Iterable, Iterator

from django.db.models import Manager, QuerySet
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

from accounts.models import Contact

# Field names that hold personal data: the ways to reach a contact, their personal profile, and the
# free text reps write about people (notes, visit summaries…). Matched after a formset prefix
# ("contacts-0-phone").
PERSONAL_FIELDS = frozenset(
    {
        "phone",
        "mobile",
        "email",
        "wechat",
        *Contact.PROFILE_FIELDS,
        "notes",
        "summary",
        "needs",
        "objections",
        "next_step",
    }
)
# Names that look personal wherever they appear (a setting, a header, a variable "contact_phone").
PERSONAL_NAMES = re.compile(r"PHONE|MOBILE|E_?MAIL|WECHAT|BIRTHDAY|HOMETOWN", flags=re.I)
# On these paths "name" is a person's name: the contact pages, the contacts API, the contact admin.
CONTACT_PATHS = re.compile(r"/contacts?/")
# A JSON body larger than this is not parsed for a report (once per variable shown; a contact is far smaller).
MAX_JSON_BODY = 64 * 1024


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|" + PERSONAL_NAMES.pattern, flags=re.I
    )

    def is_personal(self, request, key) -> bool:
        if not isinstance(key, str):
            return False
        field = key.rsplit("-", 1)[-1].lower()  # "contacts-0-name" (an admin inline) → "name"
        if field in PERSONAL_FIELDS or PERSONAL_NAMES.search(key):
            return True
        on_contact = key.startswith("contacts-") or CONTACT_PATHS.search(getattr(request, "path", "") or "")
        return field == "name" and bool(on_contact)

    def posted_values(self, request) -> list[str]:
        """The personal values in the request's POST data or JSON body, to recognise them wherever
        they turn up."""
        values = []
        try:
            post = getattr(request, "POST", None) or {}
            for key in post:
                if self.is_personal(request, key):
                    values += [
                        value for value in post.getlist(key) if isinstance(value, str) and len(value) >= 2
                    ]
        except Exception:  # an unreadable body (too big, malformed) must not break the report
            pass
        try:
            values += self.json_values(request, self.json_body(request))
        except Exception:  # nor must an odd JSON document
            pass
        return values

    def json_body(self, request):
        """The request's JSON body, parsed; None when there is none, or it is too big or unreadable.
        (DRF's JSON parser reads `request.body`, which keeps it, so it can be read again here.)"""
        try:
            if request is None or "json" not in (getattr(request, "content_type", "") or "").lower():
                return None
            if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_JSON_BODY:
                return None
            return json.loads(request.body)
        except Exception:  # never fail while building a report
            return None

    def json_values(self, request, data, depth: int = 0) -> Iterator[str]:
        """The strings under personal keys in a parsed JSON document (a contact, a list of them…)."""
        if depth > 5:
            return
        if isinstance(data, dict):
            for key, item in data.items():
                if self.is_personal(request, key):
                    yield from (text for text in _strings(item, depth) if len(text) >= 2)
                else:
                    yield from self.json_values(request, item, depth + 1)
        elif isinstance(data, list):
            for item in data:
                yield from self.json_values(request, item, depth + 1)

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return parameters
        return self.get_cleansed_multivaluedict(request, parameters)

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        multivaluedict = super().get_cleansed_multivaluedict(request, multivaluedict)
        if not self.is_active(request):
            return multivaluedict
        personal = [key for key in multivaluedict if self.is_personal(request, key)]
        if personal:
            multivaluedict = multivaluedict.copy()
            for key in personal:
                multivaluedict[key] = self.cleansed_substitute
        return multivaluedict

    def cleanse_special_types(self, request, value):
        value = super().cleanse_special_types(request, value)
        if not self.is_active(request):
            return value
        return self.cleanse_value(request, value, self.posted_values(request))

    def cleanse_value(self, request, value, posted: Iterable[str], depth: int = 0):
        """`value` with personal data masked: dict keys by name, contacts by id, posted values."""
        if depth > 5:
            return value
        if isinstance(value, Contact):
            return f"<Contact #{value.pk}>"
        if isinstance(value, QuerySet | Manager) and value.model is Contact:
            return "<Contact QuerySet>"  # its repr would run the query and print every name
        if isinstance(value, MultiValueDict):
            return self.get_cleansed_multivaluedict(request, value)
        if isinstance(value, dict):
            return {
                key: self.cleansed_substitute
                if self.is_personal(request, key)
                else self.cleanse_value(request, item, posted, depth + 1)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            items = [self.cleanse_value(request, item, posted, depth + 1) for item in value]
            return tuple(items) if isinstance(value, tuple) else items
        if isinstance(value, str) and any(secret in value for secret in posted):
            return self.cleansed_substitute
        return value

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [
            (name, self.cleansed_substitute if self.is_personal(request, name) else value)
            for name, value in variables
        ]


def _strings(value, depth: int) -> Iterator[str]:
    if depth > 5:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | dict):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item, depth + 1)
