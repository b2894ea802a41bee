from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("reset/<str:token>/", views.reset_password, name="reset-password"),
    path("csrf/", views.csrf_token, name="csrf"),
]
