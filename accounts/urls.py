from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("register/", views.register_page, name="register"),
    path("password-reset/", views.password_reset_page, name="password-reset"),
    path("logout/", views.logout_page, name="logout"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("reset/<str:token>/", views.reset_password, name="reset-password"),
    path("csrf/", views.csrf_token, name="csrf"),
]
