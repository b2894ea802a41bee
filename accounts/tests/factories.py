import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import CONTENT_MANAGERS_GROUP, MANAGERS_GROUP, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A verified user who may log in; pass `email_verified_at=None` for one who has not verified."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))


class ManagerFactory(UserFactory):
    is_staff = True
    groups = factory.PostGeneration(lambda user, create, extracted, **kwargs: user.groups.add(_group(MANAGERS_GROUP)))


class ContentManagerFactory(UserFactory):
    is_staff = True
    groups = factory.PostGeneration(
        lambda user, create, extracted, **kwargs: user.groups.add(_group(CONTENT_MANAGERS_GROUP))
    )


def _group(name: str) -> Group:
    return Group.objects.get(name=name)
