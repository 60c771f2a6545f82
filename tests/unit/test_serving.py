"""The access log never shows a buyer's token."""

from questionnaire.serving import redact


def test_tokens_in_paths_are_cut_out_of_log_lines():
    line = "GET /a/XAwkQvkEWxIXuxFPmHuVo7nMEjRECIu5/step/security?new=1 HTTP/1.1"
    assert redact(line) == "GET /a/[token]/step/security?new=1 HTTP/1.1"
    assert redact("GET /sales/assessments/12 HTTP/1.1") == "GET /sales/assessments/12 HTTP/1.1"
