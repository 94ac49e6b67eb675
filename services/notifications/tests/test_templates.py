"""Messages in the reader's language, with euros and dates in their locale."""

from notifications.templates import money, render


def test_euros_are_formatted_for_each_locale() -> None:
    assert money(123456, "it_IT") == "1.234,56\xa0€"
    assert money(123456, "en_GB") == "€1,234.56"


def test_credits_granted_in_italian_and_english() -> None:
    context = {"name": "Mario", "amount_cents": 25000, "plan_name": "Welfare & Co",
               "valid_until": "2026-12-31", "link": "http://x"}
    subject, text, html = render("credits_granted", "it", context)
    assert subject == "Hai ricevuto 250,00\xa0€ di credito welfare"
    assert "31 dicembre 2026" in text and "Welfare & Co" in text
    assert "Welfare &amp; Co" in html  # escaped in HTML only
    subject, text, _ = render("credits_granted", "en", context)
    assert subject == "You received €250.00 of welfare credit"
    assert "31 December 2026" in text


def test_an_unknown_language_falls_back_to_italian() -> None:
    subject, _, _ = render("welcome", "de", {"name": "A", "link": "x", "company_name": None})
    assert subject == "Benvenuto in WeCare"


def test_the_voucher_email_links_to_the_voucher_page_with_its_qr_code() -> None:
    context = {"name": "Mario", "amount_cents": 12345, "title": "Palestra", "id": "v-1",
               "provider_name": "Fit & Co", "code": "ABCD-EFGH-JKMN-PQRS-T",
               "expires_at": "2027-06-30", "link": "https://wecare.example"}
    for language in ("it", "en"):
        _, text, html = render("voucher_issued", language, context)
        assert "ABCD-EFGH-JKMN-PQRS-T" in text and "https://wecare.example/vouchers/v-1" in text
        assert 'href="https://wecare.example/vouchers/v-1"' in html
        assert "allegat" not in text and "attached" not in text
        assert "cid:" not in html  # no signed QR in the event: no image
        _, text, html = render("voucher_issued", language, {**context, "signed": "WC1.x.y"})
        assert '<img src="cid:voucher-qr@wecare"' in html  # the signed QR (issue 26.4)
        assert 'href="https://wecare.example/vouchers/v-1"' in html  # and still the link


def test_a_provider_invitation_names_wecare_and_no_text_an_employee_typed() -> None:
    """An employee's proposal emails an address they chose: what they typed (the
    provider's name, their city) is not in it, so it cannot carry their message
    (issue 23.8)."""
    typed = "Vinci un iPhone: https://evil.example/premio"
    context = {"name": typed, "city": typed, "category": "wellbeing",
               "link": "https://wecare.example"}
    for language in ("it", "en"):
        subject, text, html = render("invitation", language, context)
        assert "WeCare" in subject and "WeCare" in text and "WeCare" in html
        assert "evil.example" not in subject + text + html
        assert "https://wecare.example/providers/apply" in text
        assert 'href="https://wecare.example/providers/apply"' in html


BONUS = {"name": "Mario", "offer_id": "o-1", "offer_name": "Premio 2025", "amount_cents": 100_000,
         "deadline": "2026-03-20", "plan_name": "Welfare 2026", "link": "https://wecare.example"}


def test_a_bonus_offer_says_the_amount_the_deadline_and_that_no_choice_means_cash() -> None:
    subject, text, html = render("bonus_offered", "it", BONUS)
    assert subject == ("Il tuo premio di risultato di 1.000,00\xa0€: in denaro o in welfare? "
                       "Scegli entro il 20 marzo 2026")
    assert "https://wecare.example/bonus/o-1" in text and "tutto in denaro" in text
    subject, text, _ = render("bonus_offered", "en", BONUS)
    assert "by 20 March 2026" in subject and "the whole bonus is paid in cash" in text


def test_the_reminder_says_the_choice_made_or_that_none_was() -> None:
    _, none, _ = render("bonus_reminder", "en", {**BONUS, "welfare_cents": None})
    assert "have not chosen yet" in none
    _, chosen, _ = render("bonus_reminder", "it", {**BONUS, "welfare_cents": 60_000})
    assert "600,00\xa0€" in chosen and "mezzanotte del 20 marzo 2026" in chosen


def test_the_result_says_the_welfare_the_cash_and_its_tax() -> None:
    result = {**BONUS, "valid_until": "2026-12-31", "outcome": "as_chosen",
              "welfare_cents": 60_000, "cash_cents": 40_000, "substitute_tax_cents": 363,
              "ordinary_cents": 0}
    subject, text, _ = render("bonus_result", "it", result)
    assert subject == "Il tuo premio di risultato: 600,00\xa0€ in welfare, 400,00\xa0€ in denaro"
    assert "imposta sostitutiva di 3,63\xa0€" in text and "31 dicembre 2026" in text
    subject, text, _ = render("bonus_result", "en", {**result, "outcome": "limited"})
    assert subject == "Your performance bonus: €600.00 in welfare, €400.00 in cash"
    assert "left less room" in text
def test_a_network_s_invitation_and_a_proposed_agreement_in_both_languages() -> None:
    from notifications.routes import messages
    from wecare_common.contract import events

    invited = messages(events.NETWORK_MEMBER_INVITED, {
        "id": "m-1", "network_id": "n-1", "company_id": "c-1", "network_name": "CNA & Co",
        "company_name": "Alfa"}, "c-1")
    assert [(m.recipient, m.kind) for m in invited] == [("company:c-1", "network_invitation")]
    proposed = messages(events.AGREEMENT_PROPOSED, {
        "provider_id": "p-1", "network_name": "CNA", "offering_title": "Nuoto"}, None)
    assert [(m.recipient, m.kind) for m in proposed] == [("provider:p-1", "agreement_proposed")]
    for language in ("it", "en"):
        subject, text, html = render("network_invitation", language, {
            "name": "Giulia", "link": "https://w.example", **invited[0].context})
        assert "CNA & Co" in subject and "https://w.example/hr/network" in text
        assert "CNA &amp; Co" in html
        subject, text, _ = render("agreement_proposed", language, {
            "name": "Piscina", "link": "https://w.example", **proposed[0].context})
        assert "Nuoto" in subject and "https://w.example/provider/agreements" in text
