import factory

from accounts.models import User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


def _join(group_name: str):
    def join(user, create, extracted, **kwargs):
        if create:
            from django.contrib.auth.models import Group

            user.groups.add(Group.objects.get(name=group_name))

    return join


class ManagerFactory(UserFactory):
    """A staff member of the "Managers" group."""

    is_staff = True
    role = factory.PostGeneration(_join("Managers"))


class ContentManagerFactory(UserFactory):
    """A staff member of the "Content managers" group: the blog's editor."""

    is_staff = True
    role = factory.PostGeneration(_join("Content managers"))
