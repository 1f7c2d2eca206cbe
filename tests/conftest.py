"""Shared fixtures. The NHS matrix is in every test database because migration 0002 creates it."""

import pytest
from django.contrib.auth.models import Permission

from hazardlog import models, nhs_matrix
from hazardlog.models import HazardLog, Membership, RiskMatrix, Role
from tests import factories


@pytest.fixture
def transactional_nhs_matrix(transactional_db):
    """The NHS matrix for a transactional test: those empty every table afterwards, migration 0002's rows too."""
    if not RiskMatrix.objects.filter(name=nhs_matrix.NAME).exists():
        nhs_matrix.load(models)


@pytest.fixture
def matrix(db):
    return RiskMatrix.objects.get(name=nhs_matrix.NAME)


@pytest.fixture
def log(matrix):
    return factories.make_log(matrix=matrix)


@pytest.fixture
def user(django_user_model):
    # A full name: approving an issue names the Clinical Safety Officer who approved it.
    return django_user_model.objects.create_user(
        username="cso", password="correct-horse-battery-staple", first_name="Alex", last_name="Clinician"
    )


@pytest.fixture
def creator(user):
    """`user` with the permission to create logs, which an account does not have unless given it."""
    user.user_permissions.add(Permission.objects.get(content_type__app_label="hazardlog", codename="add_hazardlog"))
    return user


@pytest.fixture
def member_log(log, user) -> HazardLog:
    """A log in which `user` is the Clinical Safety Officer."""
    Membership.objects.create(log=log, user=user, role=Role.CSO)
    return log


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; tests create many users and do not test the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
