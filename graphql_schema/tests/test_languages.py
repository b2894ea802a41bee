"""Every API message in the request's language: the signed-in user's own, then the
`django_language` cookie, then Accept-Language; English by default. E-mails in the user's."""

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation
from mailing.tests.factories import ClientFactory, MessageFactory

RU = {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9,en;q=0.5"}
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ __typename ... on User {{ email }} {OPERATION_INFO} }}
}}"""
CREATE_MAILING = f"""
mutation($input: CreateMailingInput!) {{
  createMailing(input: $input) {{ __typename ... on Mailing {{ id }} {OPERATION_INFO} }}
}}"""
UPDATE_PROFILE = f"""
mutation($input: UpdateProfileInput!) {{
  updateProfile(input: $input) {{ __typename ... on User {{ language }} {OPERATION_INFO} }}
}}"""
REGISTER = f"""
mutation($input: RegisterInput!) {{
  register(input: $input) {{ __typename ... on AccountNotice {{ message }} {OPERATION_INFO} }}
}}"""
REQUEST_RESET = """
mutation($email: String!) { requestPasswordReset(email: $email) { __typename } }"""
DAILY = "query { deliveryDailyCounts(days: 0) { day } }"


def bad_mailing(owner):
    return {
        "input": {
            "message": gid("Message", MessageFactory(owner=owner).pk),
            "clients": [gid("Client", ClientFactory(owner=owner).pk), gid("Client", 999_999)],
            "startAt": "2031-12-03T09:00:00",
            "endAt": "2031-12-01T09:00:00",
            "periodicity": "HOURLY",
        }
    }


def _client(**defaults):
    from strawberry_django.test.client import TestClient

    gql = TestClient("/graphql/")
    gql.client.defaults.update(defaults)
    return gql


@pytest.mark.django_db
def test_a_login_refusal_follows_accept_language():
    # given
    UserFactory(email="ann@example.com")

    # when
    russian = _client(**RU).query(LOGIN, {"email": "ann@example.com", "password": "wrong"}).data["login"]
    english = _client().query(LOGIN, {"email": "ann@example.com", "password": "wrong"}).data["login"]

    # then
    assert messages_of(russian) == [validation(None, "Неверный email или пароль.", "invalid_credentials")]
    assert messages_of(english) == [validation(None, "Incorrect e-mail or password.", "invalid_credentials")]


@pytest.mark.django_db
def test_a_throttled_login_says_so_in_russian(settings):
    # given
    settings.LOGIN_FAILURES_PER_EMAIL = 1
    UserFactory(email="ann@example.com")
    gql = _client(**RU)
    gql.query(LOGIN, {"email": "ann@example.com", "password": "wrong"})

    # when
    result = gql.query(LOGIN, {"email": "ann@example.com", "password": PASSWORD}).data["login"]

    # then
    [message] = messages_of(result)
    assert message["code"] == "throttled"
    assert message["message"].startswith("Слишком много неудачных попыток входа для этого адреса. Повторите через ")


@pytest.mark.django_db
def test_the_users_own_language_wins_over_the_cookie_and_accept_language(owner):
    # given: the browser says English, the user chose Russian
    owner.language = "ru"
    owner.save()
    gql = _client(HTTP_ACCEPT_LANGUAGE="en")
    gql.client.cookies["django_language"] = "en"

    # when
    with gql.login(owner):
        result = gql.query(CREATE_MAILING, bad_mailing(owner)).data["createMailing"]

    # then: the brief's terms
    assert messages_of(result) == [
        validation(
            "periodicity",
            "Неизвестная периодичность 'HOURLY'; ожидается одна из: ONCE, DAILY, WEEKLY, MONTHLY.",
            "invalid_choice",
        ),
        validation("clients", "Клиент не найден (позиция 2 в списке).", "not_found"),
        validation("endAt", "Окончание рассылки должно быть позже её начала.", "end_before_start"),
    ]


@pytest.mark.django_db
def test_the_cookie_wins_over_accept_language(owner):
    # given
    gql = _client(HTTP_ACCEPT_LANGUAGE="en")
    gql.client.cookies["django_language"] = "ru"

    # when
    result = gql.query(UPDATE_PROFILE, {"input": {"language": "en"}}).data["updateProfile"]

    # then: a permission refusal, in Russian
    assert messages_of(result) == [
        {"kind": "PERMISSION", "field": "updateProfile", "message": "Пользователь не вошёл в систему.", "code": None}
    ]


@pytest.mark.django_db
def test_english_is_the_default_for_a_language_we_do_not_have():
    # when
    result = _client(HTTP_ACCEPT_LANGUAGE="de").query(LOGIN, {"email": "x@example.com", "password": "x"})

    # then
    assert messages_of(result.data["login"])[0]["message"] == "Incorrect e-mail or password."


@pytest.mark.django_db
def test_a_query_argument_error_follows_the_users_language(owner, other_owner):
    # given: the same browser for both
    User.objects.filter(pk=owner.pk).update(language="ru")
    owner.refresh_from_db()
    russian, english = _client(**RU), _client(**RU)

    # when
    with russian.login(owner):
        ru_errors = russian.query(DAILY, assert_no_errors=False).errors
    with english.login(other_owner):
        en_errors = english.query(DAILY, assert_no_errors=False).errors

    # then: other_owner's own language is English
    assert [error["message"] for error in ru_errors] == ["Аргумент 'days' должен быть от 1 до 366."]
    assert [error["message"] for error in en_errors] == ["Argument 'days' must be between 1 and 366."]


@pytest.mark.django_db
def test_the_end_before_the_start_is_refused_in_russian(owner):
    # given
    owner.language = "ru"
    owner.save()
    gql = _client()
    data = bad_mailing(owner)
    data["input"].update(periodicity="DAILY", clients=data["input"]["clients"][:1])

    # when
    with gql.login(owner):
        result = gql.query(CREATE_MAILING, data).data["createMailing"]

    # then
    assert messages_of(result) == [
        validation("endAt", "Окончание рассылки должно быть позже её начала.", "end_before_start")
    ]


@pytest.mark.django_db
def test_registering_in_russian_answers_and_mails_in_russian(django_capture_on_commit_callbacks):
    # given
    gql = _client(**RU)
    data = {"email": "nina@example.com", "password": "a fine long passphrase", "fullName": "Нина"}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = gql.query(REGISTER, {"input": data}).data["register"]

    # then
    assert result["message"] == (
        "Мы отправили ссылку на nina@example.com. Откройте её, чтобы подтвердить адрес, затем войдите."
    )
    assert User.objects.get().language == "ru"
    [message] = mail.outbox
    assert message.subject == "Подтвердите адрес электронной почты в сервисе рассылок"
    assert message.body.startswith("Здравствуйте, Нина!\n\nПодтвердите, что nina@example.com — ваш адрес")
    assert "Ссылка работает один раз и действует 3\xa0дня." in message.body


@pytest.mark.django_db
def test_a_reset_mail_is_in_the_users_language_whatever_the_request(owner, django_capture_on_commit_callbacks):
    # given: the request is English, the account Russian
    User.objects.filter(pk=owner.pk).update(language="ru")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _client(HTTP_ACCEPT_LANGUAGE="en").query(REQUEST_RESET, {"email": owner.email})

    # then
    [message] = mail.outbox
    assert message.subject == "Сброс пароля в сервисе рассылок"
    assert "Кто-то (надеемся, вы) попросил сбросить пароль учётной записи owner@example.com." in message.body
