from django.contrib import admin, messages
from django.utils.html import format_html

from blog import services
from blog.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """The blog's editor, for the "Content managers" group (granted the blog's permissions)."""

    list_display = ["list_thumbnail", "title", "is_published", "published_at", "view_count", "updated_at"]
    list_display_links = ["list_thumbnail", "title"]
    list_filter = ["is_published", "published_at"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    ordering = ["-published_at", "-id"]
    fields = ["title", "body", "image", "image_preview", "is_published", "published_at", "view_count"]
    readonly_fields = ["image_preview", "view_count"]
    actions = ["publish", "unpublish"]

    @admin.display(description="image")
    def list_thumbnail(self, post):
        if not post.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="height: 48px; border-radius: 4px">', post.thumbnail.url)

    @admin.display(description="preview")
    def image_preview(self, post):
        if not post.image:
            return "No image yet."
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-width: 480px; max-height: 320px"></a>',
            post.image.url,
            post.thumbnail.url if post.thumbnail else post.image.url,
        )

    def save_model(self, request, obj, form, change):
        services.post_save(post=obj, image_changed="image" in form.changed_data)

    def delete_model(self, request, obj):
        services.post_delete(post=obj)

    def delete_queryset(self, request, queryset):
        for post in queryset:
            services.post_delete(post=post)

    @admin.action(description="Publish the selected posts", permissions=["change"])
    def publish(self, request, queryset):
        changed = services.posts_publish(posts=queryset)
        self.message_user(request, f"{changed} post(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected posts", permissions=["change"])
    def unpublish(self, request, queryset):
        changed = services.posts_unpublish(posts=queryset)
        self.message_user(request, f"{changed} post(s) unpublished.", messages.SUCCESS)
